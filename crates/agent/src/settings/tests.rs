//! Tests of the module.
use super::*;

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_match_the_issue() {
    let s = LlmSettings::from_params(&[]).unwrap();
    assert_eq!(s.api_key_env, "OPENAI_API_KEY");
    assert_eq!(s.timeout, Duration::from_secs(60));
    assert_eq!((s.retries, s.concurrency, s.every), (3, 4, 1));
    assert_eq!((s.max_steps, s.style, s.mode), (8, Style::Auto, Mode::Live));
}

#[test]
fn settings_round_trip_through_their_parameters() {
    let s = LlmSettings::from_params(&p(&[
        ("base_url", "http://127.0.0.1:8080/v1/"),
        ("model", "llama3.1:8b"),
        ("api_key_env", "LOCAL_KEY"),
        ("param.temperature", "0.2"),
        ("param.max_tokens", "300"),
        ("param.reasoning_effort", "low"),
        ("param.stop", "\"true\""),
        ("param.logprobs", "false"),
        ("timeout", "2.5"),
        ("retries", "0"),
        ("concurrency", "2"),
        ("every", "5"),
        ("max_steps", "3"),
        ("style", "decision"),
        ("max_cost", "1.25"),
        ("max_tokens", "100000"),
        ("knowledge_cutoff", "2023-12-01"),
        ("anonymize", "true"),
        ("mode", "record"),
        ("recordings", "/tmp/rec.jsonl"),
    ]))
    .unwrap();
    assert_eq!(s.base_url, "http://127.0.0.1:8080/v1");
    assert_eq!(
        s.params,
        vec![
            ("temperature".into(), serde_json::json!(0.2)),
            ("max_tokens".into(), serde_json::json!(300)),
            ("reasoning_effort".into(), serde_json::json!("low")),
            ("stop".into(), serde_json::json!("true")),
            ("logprobs".into(), serde_json::json!(false)),
        ]
    );
    assert_eq!(s.max_tokens, Some(100_000));
    let again = LlmSettings::from_params(&s.to_params()).unwrap();
    assert_eq!(again, s);
    let default = LlmSettings::default();
    assert_eq!(
        LlmSettings::from_params(&default.to_params()).unwrap(),
        default
    );
}

#[test]
fn a_bad_value_names_the_key_and_the_value_and_all_problems_are_listed() {
    let e = LlmSettings::from_params(&p(&[
        ("timeout", "soon"),
        ("style", "chatty"),
        ("concurrency", "0"),
        ("temperature", "0.1"),
    ]))
    .unwrap_err()
    .to_string();
    assert!(e.contains("timeout (soon) is not a positive number"), "{e}");
    assert!(
        e.contains("style (chatty) is not loop, decision or auto"),
        "{e}"
    );
    assert!(
        e.contains("concurrency (0) is not a whole number of at least 1"),
        "{e}"
    );
    assert!(e.contains("unknown parameter \"temperature\""), "{e}");
    assert!(e.starts_with("llm: "), "{e}");
}

#[test]
fn the_knowledge_cutoff_comes_from_the_setting_then_the_table() {
    let mut s = LlmSettings {
        model: "openai/gpt-4o-2024-08-06".into(),
        ..LlmSettings::default()
    };
    assert_eq!(s.cutoff(), Some(Date::new(2023, 10, 1).unwrap()));
    s.model = "my-finetune".into();
    assert_eq!(s.cutoff(), None);
    s.knowledge_cutoff = Some(Date::new(2022, 1, 1).unwrap());
    assert_eq!(s.cutoff(), Some(Date::new(2022, 1, 1).unwrap()));
}
