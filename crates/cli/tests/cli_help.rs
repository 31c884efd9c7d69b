//! The help text is part of the product: every subcommand documents every argument,
//! the store options sit under their own heading, and `tradelab completions` prints
//! a script for the shell.

mod common;

use common::{ok, tradelab};

/// The help text `args` print.
fn help(args: &[&str]) -> String {
    ok(tradelab(args))
}

/// The lines of one section (`Arguments:`, `Options:`, `Commands:`, …) of a help text.
fn section<'a>(help: &'a str, title: &str) -> Vec<&'a str> {
    help.lines()
        .skip_while(|l| *l != title)
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .collect()
}

/// Every section title of a help text (lines like `Options:`).
fn titles(help: &str) -> Vec<&str> {
    help.lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':') && !l.contains("Usage"))
        .collect()
}

/// The entries of a section without help text: an entry is a line indented by two
/// to six spaces (`  <RUN>`, `  -h, --help`, `      --output`); its help follows
/// its name after two or more spaces, or on the next, deeper-indented line. Help
/// that is only `[default: …]`/`[possible values: …]` does not count.
fn undocumented(lines: &[&str]) -> Vec<String> {
    let mut missing = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let entry = line.trim_start();
        let indent = line.len() - entry.len();
        if entry.is_empty() || !(2..=6).contains(&indent) {
            continue;
        }
        let (name, rest) = entry.split_once("  ").unwrap_or((entry, ""));
        let mut help = rest.trim();
        if help.is_empty()
            && let Some(next) = lines.get(i + 1)
            && next.len() - next.trim_start().len() > indent
        {
            help = next.trim();
        }
        if help.is_empty() || help.starts_with('[') {
            missing.push(name.trim().to_string());
        }
    }
    missing
}

/// The subcommands listed in a help text (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    section(help, "Commands:")
        .iter()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path below `tradelab`, depth first.
fn all_commands() -> Vec<Vec<String>> {
    let mut todo = vec![Vec::<String>::new()];
    let mut all = Vec::new();
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("-h");
        let help = help(&args);
        for sub in subcommands(&help) {
            let mut p = path.clone();
            p.push(sub);
            todo.push(p);
        }
        all.push(path);
    }
    all
}

#[test]
fn every_argument_of_every_subcommand_has_help_text() {
    let commands = all_commands();
    assert!(commands.len() > 20, "found only {commands:?}");
    let mut missing = Vec::new();
    for path in &commands {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("-h");
        let help = help(&args);
        for title in titles(&help) {
            for name in undocumented(&section(&help, title)) {
                missing.push(format!("tradelab {} {title} {name}", path.join(" ")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "arguments without help:\n{}",
        missing.join("\n")
    );
}

#[test]
fn store_options_have_their_own_heading_in_every_subcommand() {
    for path in [
        vec!["runs", "show"],
        vec!["data", "import"],
        vec!["backtest"],
    ] {
        let mut args = path.clone();
        args.push("-h");
        let help = help(&args);
        let global = section(&help, "Global options:").join("\n");
        for flag in ["--data-dir", "--database-url", "--user"] {
            assert!(
                global.contains(flag),
                "{path:?}: {flag} not under Global options:\n{help}"
            );
        }
        let own = section(&help, "Options:").join("\n");
        assert!(
            !own.contains("--data-dir"),
            "{path:?}: store option among own options"
        );
    }
}

#[test]
fn run_and_model_arguments_and_periods_are_explained() {
    let show = help(&["runs", "show", "-h"]);
    let run = section(&show, "Arguments:").join("\n");
    assert!(run.contains("<RUN>") && run.contains("trend#2"), "{show}");
    let start = help(&["runs", "start", "-h"]);
    let opts = section(&start, "Options:");
    for (flag, help) in [("--from <DATE>", "First bar"), ("--to <DATE>", "Last bar")] {
        assert!(
            opts.iter()
                .any(|l| l.trim_start().starts_with(flag) && l.contains(help)),
            "{flag}: {start}"
        );
    }
}

#[test]
fn completions_print_a_bash_script_naming_the_subcommands() {
    let script = help(&["completions", "bash"]);
    assert!(script.contains("complete"), "not a bash completion script");
    for sub in [
        "backtest",
        "data",
        "models",
        "runs",
        "rules",
        "strategies",
        "calendar",
        "completions",
    ] {
        assert!(script.contains(sub), "the script does not name {sub}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(
            help(&["completions", shell]).contains("tradelab"),
            "{shell}"
        );
    }
}
