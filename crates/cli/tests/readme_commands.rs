//! Every command of the README's shell blocks runs as written.
//!
//! The ```sh blocks are read in order; each `tradelab …` command (and each
//! `cargo run … -- …`, whose arguments after `--` go to tradelab) runs against the
//! built binary, one after the other (later blocks use what earlier ones stored), in
//! a fresh data directory (`TRADELAB_DATA_DIR`), so the user's store is never touched.
//! The working directory mirrors the repository root (a link to each of its entries),
//! so relative paths resolve as in the repository while files the commands write
//! (`--out es_1m.csv`) land in a temporary directory. Commands naming a PostgreSQL URL
//! are a test of their own, on a database of their own; without
//! `TRADELAB_TEST_POSTGRES_URL` that test is reported ignored, not passed.
//! `cargo` build, test and install commands are skipped by the allow-list below; any
//! other command fails the test, naming it.

mod common;

use common::{PgDatabase, command};
use std::path::{Path, PathBuf};

/// `cargo` commands of the README that build, test or install rather than run.
const CARGO_SKIPPED: [&str; 2] = [
    "cargo test --workspace --locked",
    "cargo install --path crates/cli --locked",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("README.md is readable")
}

/// One shell command of the README: its words, environment assignments and the
/// line it starts on.
#[derive(Debug, Clone)]
struct ShellCommand {
    line: usize,
    env: Vec<(String, String)>,
    words: Vec<String>,
    text: String,
}

/// The ```sh (or ```bash) blocks: (line of the first command line, text).
fn sh_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        match &mut current {
            None if trimmed == "```sh" || trimmed == "```bash" || trimmed == "```shell" => {
                current = Some((i + 2, String::new()));
            }
            None => {}
            Some(_) if trimmed == "```" => blocks.extend(current.take()),
            Some((_, body)) => {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    blocks
}

/// A token of a shell line: a word, or an operator that separates commands.
#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    /// `|`, `&&`, `;`: ends a command (what follows a pipe is not run).
    Separator(&'static str),
    /// `>`, `>>`, `2>`: the next word is a file the output goes to.
    Redirect,
}

/// Splits shell text into tokens: quotes (`'…'`, `"…"`), backslash escapes and
/// line continuations, comments (`#` at the start of a word), operators.
fn tokens(text: &str) -> Result<Vec<(usize, Token)>, String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut line = 0;
    let mut word_line = 0;
    let mut chars = text.chars().peekable();
    let push = |word: &mut Option<String>, out: &mut Vec<(usize, Token)>, at: usize| {
        if let Some(w) = word.take() {
            out.push((at, Token::Word(w)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('\n') => line += 1,
                Some(e) => word.get_or_insert_with(String::new).push(e),
                None => return Err("a backslash at the end of the block".into()),
            },
            '\'' => {
                if word.is_none() {
                    word_line = line;
                }
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => {
                            line += usize::from(ch == '\n');
                            w.push(ch);
                        }
                        None => return Err("an unclosed single quote".into()),
                    }
                }
            }
            '"' => {
                if word.is_none() {
                    word_line = line;
                }
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') if matches!(chars.peek(), Some('"' | '\\' | '$')) => {
                            w.extend(chars.next());
                        }
                        Some(ch) => {
                            line += usize::from(ch == '\n');
                            w.push(ch);
                        }
                        None => return Err("an unclosed double quote".into()),
                    }
                }
            }
            '#' if word.is_none() => {
                for ch in chars.by_ref() {
                    if ch == '\n' {
                        out.push((line, Token::Separator(";")));
                        line += 1;
                        break;
                    }
                }
            }
            '\n' | ';' => {
                push(&mut word, &mut out, word_line);
                out.push((line, Token::Separator(";")));
                line += usize::from(c == '\n');
            }
            '|' => {
                push(&mut word, &mut out, word_line);
                if chars.peek() == Some(&'|') {
                    return Err("`||` is not supported in README commands".into());
                }
                out.push((line, Token::Separator("|")));
            }
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                push(&mut word, &mut out, word_line);
                out.push((line, Token::Separator("&&")));
            }
            '>' => {
                if word.as_deref() == Some("2") {
                    word = None;
                }
                push(&mut word, &mut out, word_line);
                if chars.peek() == Some(&'>') {
                    chars.next();
                }
                out.push((line, Token::Redirect));
            }
            c if c.is_whitespace() => push(&mut word, &mut out, word_line),
            c => {
                if word.is_none() {
                    word_line = line;
                }
                word.get_or_insert_with(String::new).push(c);
            }
        }
    }
    push(&mut word, &mut out, word_line);
    Ok(out)
}

/// The commands of one block, in order (the consumers of pipes left out).
fn commands(first_line: usize, block: &str) -> Result<Vec<ShellCommand>, String> {
    let mut all = Vec::new();
    let mut words: Vec<(usize, String)> = Vec::new();
    let mut piped = false;
    let mut redirect = false;
    let finish = |words: &mut Vec<(usize, String)>, all: &mut Vec<ShellCommand>| {
        if words.is_empty() {
            return;
        }
        let line = first_line + words[0].0;
        let text = words
            .iter()
            .map(|(_, w)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut env = Vec::new();
        let mut rest = words.drain(..).map(|(_, w)| w).peekable();
        while let Some(w) = rest.peek() {
            match w.split_once('=') {
                Some((k, v))
                    if !k.is_empty()
                        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    env.push((k.to_string(), v.to_string()));
                    rest.next();
                }
                _ => break,
            }
        }
        all.push(ShellCommand {
            line,
            env,
            words: rest.collect(),
            text,
        });
    };
    for (line, token) in tokens(block)? {
        match token {
            Token::Word(_) if redirect => redirect = false,
            Token::Word(w) if !piped => words.push((line, w)),
            Token::Word(_) => {}
            Token::Redirect => redirect = true,
            Token::Separator(sep) => {
                finish(&mut words, &mut all);
                piped = sep == "|";
            }
        }
    }
    finish(&mut words, &mut all);
    Ok(all)
}

/// What the test does with a README command.
#[derive(Debug, PartialEq)]
enum Plan {
    /// Run the binary with these arguments.
    Run(Vec<String>),
    /// A build/test/install command on the allow-list.
    Skip,
}

fn plan(c: &ShellCommand) -> Result<Plan, String> {
    match c.words.first().map(String::as_str) {
        Some("tradelab") => Ok(Plan::Run(c.words[1..].to_vec())),
        Some("cargo") if c.words.get(1).map(String::as_str) == Some("run") => {
            match c.words.iter().position(|w| w == "--") {
                Some(i) => Ok(Plan::Run(c.words[i + 1..].to_vec())),
                None => Err("a `cargo run` without `--` and tradelab arguments".into()),
            }
        }
        Some("cargo") if CARGO_SKIPPED.contains(&c.words.join(" ").as_str()) => Ok(Plan::Skip),
        _ => Err(
            "not a tradelab command: make it one, or (for a cargo build, test or install \
             command) add it to CARGO_SKIPPED in crates/cli/tests/readme_commands.rs"
                .into(),
        ),
    }
}

fn needs_postgres(c: &ShellCommand) -> bool {
    let pg = |s: &str| s.contains("postgres://") || s.contains("postgresql://");
    c.words.iter().any(|w| pg(w)) || c.env.iter().any(|(_, v)| pg(v))
}

/// Replaces every PostgreSQL URL (a word, or the value of `--database-url=`/an env
/// assignment) by `url`.
fn with_database(words: &[String], url: &str) -> Vec<String> {
    words
        .iter()
        .map(|w| {
            if w.starts_with("postgres://") || w.starts_with("postgresql://") {
                url.to_string()
            } else if let Some((flag, v)) = w.split_once('=')
                && (v.starts_with("postgres://") || v.starts_with("postgresql://"))
            {
                format!("{flag}={url}")
            } else {
                w.clone()
            }
        })
        .collect()
}

/// A directory whose entries link to those of the repository root.
fn mirror_of_repo_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(repo_root()).expect("repo root is readable") {
        let entry = entry.expect("repo root entry");
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let target = entry.path().canonicalize().expect("repo entry resolves");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&target, dir.path().join(&name)).expect("link");
        #[cfg(windows)]
        if target.is_dir() {
            std::os::windows::fs::symlink_dir(&target, dir.path().join(&name)).expect("link");
        } else {
            std::os::windows::fs::symlink_file(&target, dir.path().join(&name)).expect("link");
        }
    }
    dir
}

/// Runs the README's tradelab commands in order: those that name a PostgreSQL URL
/// (`postgres`) on a database of their own, or all the others on a fresh data dir.
fn run_readme_commands(postgres: bool) {
    let mut all = Vec::new();
    for (line, block) in sh_blocks(&readme()) {
        all.extend(commands(line, &block).unwrap_or_else(|e| panic!("README line {line}: {e}")));
    }
    let mut runs = Vec::new();
    for c in &all {
        match plan(c) {
            Ok(Plan::Run(args)) if needs_postgres(c) == postgres => runs.push((c, args)),
            Ok(_) => {}
            Err(e) => panic!("README line {}: `{}`: {e}", c.line, c.text),
        }
    }
    let least = if postgres { 1 } else { 10 };
    assert!(
        runs.len() >= least,
        "only {} tradelab commands found in the README's sh blocks",
        runs.len()
    );
    let cwd = mirror_of_repo_root();
    let data = tempfile::tempdir().expect("temp dir");
    let database = postgres.then(|| PgDatabase::create("tl_readme"));
    for (c, args) in runs {
        let (args, env) = match &database {
            Some(db) => {
                let env = c
                    .env
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            with_database(std::slice::from_ref(v), &db.url)[0].clone(),
                        )
                    })
                    .collect();
                (with_database(&args, &db.url), env)
            }
            None => (args, c.env.clone()),
        };
        let out = command()
            .args(&args)
            .current_dir(cwd.path())
            .env("TRADELAB_DATA_DIR", data.path())
            .envs(env)
            .output()
            .expect("run tradelab");
        assert!(
            out.status.success(),
            "README line {}: `{}` failed ({}):\n{}{}",
            c.line,
            c.text,
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn every_readme_command_runs_as_written() {
    run_readme_commands(false);
}

#[test]
#[cfg_attr(
    tradelab_no_pg,
    ignore = "set TRADELAB_TEST_POSTGRES_URL to run the PostgreSQL tests"
)]
fn every_readme_postgres_command_runs_as_written() {
    run_readme_commands(true);
}

#[test]
fn readme_commands_are_split_like_a_shell_splits_them() {
    let block = "tradelab a --x 'q r' \"s \\\"t\\\"\" \\\n  --y 1   # a comment\n\
                 tradelab runs replay trend#1 # trend#1 is not a comment\n\
                 TRADELAB_USER=bob@example.com tradelab runs list --output json | jq .\n\
                 tradelab data list > list.txt && tradelab strategies\n";
    let cmds = commands(10, block).unwrap();
    let words: Vec<Vec<&str>> = cmds
        .iter()
        .map(|c| c.words.iter().map(String::as_str).collect())
        .collect();
    assert_eq!(
        words,
        [
            vec!["tradelab", "a", "--x", "q r", "s \"t\"", "--y", "1"],
            vec!["tradelab", "runs", "replay", "trend#1"],
            vec!["tradelab", "runs", "list", "--output", "json"],
            vec!["tradelab", "data", "list"],
            vec!["tradelab", "strategies"],
        ]
    );
    assert_eq!(cmds[0].line, 10);
    assert_eq!(cmds[1].line, 12);
    assert_eq!(
        cmds[2].env,
        [("TRADELAB_USER".to_string(), "bob@example.com".to_string())]
    );
    let cargo_run = &commands(1, "cargo run --release -- backtest --data f.csv\n").unwrap()[0];
    assert_eq!(
        plan(cargo_run),
        Ok(Plan::Run(vec![
            "backtest".into(),
            "--data".into(),
            "f.csv".into()
        ]))
    );
    let install = &commands(1, "cargo install --path crates/cli --locked\n").unwrap()[0];
    assert_eq!(plan(install), Ok(Plan::Skip));
    let unlocked = &commands(1, "cargo install --path crates/cli\n").unwrap()[0];
    assert!(plan(unlocked).is_err());
    let other = &commands(1, "rm -rf tradelab-data\n").unwrap()[0];
    assert!(plan(other).is_err());
}

#[test]
fn readme_states_the_ci_lint_commands_and_installs_locked() {
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).expect(".ci/run is readable");
    let readme = readme();
    let lints: Vec<&str> = ci
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("cargo clippy") || l.starts_with("cargo fmt"))
        .collect();
    assert_eq!(lints.len(), 2, "{lints:?}");
    for lint in lints {
        assert!(
            readme.contains(&format!("`{lint}`")),
            "the README does not show .ci/run's `{lint}` as it is"
        );
    }
    for line in readme.lines().filter(|l| l.contains("cargo install")) {
        assert!(
            line.contains("--locked"),
            "README installs without --locked: {line}"
        );
    }
}
