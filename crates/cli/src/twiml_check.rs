//! `dialtone twiml check`: diagnostics in the rustc style (or JSON) for TwiML files.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use dialtone_twiml::{Context, Diagnostic, Level, parse};

/// Arguments of `dialtone twiml check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Rules to check against: a call document, a whisper (`<Number url>`/`<WhatsApp url>`)
    /// document, or the REST `Twiml` parameter.
    #[arg(long, value_enum, default_value_t = ContextArg::Call)]
    context: ContextArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Files to check; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ContextArg {
    Call,
    Whisper,
    Rest,
}

impl From<ContextArg> for Context {
    fn from(c: ContextArg) -> Self {
        match c {
            ContextArg::Call => Self::Call,
            ContextArg::Whisper => Self::Whisper,
            ContextArg::Rest => Self::Rest,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Exit status: no errors (warnings allowed).
const OK: u8 = 0;
/// Exit status: at least one document has an error.
const HAS_ERRORS: u8 = 1;
/// Exit status: bad usage, such as a file that cannot be read.
const USAGE: u8 = 2;

/// Runs the subcommand on the process's standard streams.
pub fn main(args: &CheckArgs) -> ExitCode {
    let (code, out, err) = run(args, io::stdin().lock());
    // A closed stdout or stderr is not worth a panic; the exit code still tells.
    let _ = io::stdout().lock().write_all(out.as_bytes());
    let _ = io::stderr().lock().write_all(err.as_bytes());
    ExitCode::from(code)
}

/// Checks every file; returns the exit code, standard output and standard error.
fn run(args: &CheckArgs, mut stdin: impl Read) -> (u8, String, String) {
    let mut inputs = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let (name, read) = if path.as_os_str() == "-" {
            let mut buf = Vec::new();
            (
                "<stdin>".to_owned(),
                stdin.read_to_end(&mut buf).map(|_| buf),
            )
        } else {
            (path.display().to_string(), std::fs::read(path))
        };
        match read {
            Ok(bytes) => inputs.push((name, bytes)),
            Err(e) => {
                return (
                    USAGE,
                    String::new(),
                    format!("error: cannot read {name}: {e}\n"),
                );
            }
        }
    }
    let context = Context::from(args.context);
    let mut out = String::new();
    let mut json = Vec::new();
    let mut any_error = false;
    for (name, bytes) in &inputs {
        let parsed = parse(bytes, context);
        any_error |= parsed.has_errors();
        match args.format {
            Format::Text => render_text(&mut out, name, bytes, &parsed.diagnostics),
            Format::Json => json.extend(parsed.diagnostics.iter().map(|d| to_json(name, d))),
        }
    }
    if args.format == Format::Json {
        out = serde_json::Value::Array(json).to_string();
        out.push('\n');
    }
    (if any_error { HAS_ERRORS } else { OK }, out, String::new())
}

fn to_json(file: &str, d: &Diagnostic) -> serde_json::Value {
    serde_json::json!({
        "file": file,
        "code": d.code.0,
        "level": level(d),
        "message": d.message,
        "line": d.line,
        "column": d.column,
    })
}

fn level(d: &Diagnostic) -> &'static str {
    match d.level {
        Level::Error => "error",
        Level::Warning => "warning",
    }
}

/// Lines longer than this are shown as a window around the column.
const MAX_SHOWN: usize = 100;

/// rustc/codespan style: header, location, the source line and a caret; then a summary line.
fn render_text(out: &mut String, name: &str, bytes: &[u8], diagnostics: &[Diagnostic]) {
    let source = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes));
    let lines: Vec<&str> = source.split('\n').collect();
    for d in diagnostics {
        let line_text = lines
            .get(d.line as usize - 1)
            .map_or("", |l| l.strip_suffix('\r').unwrap_or(l));
        let (shown, caret_at) = window(line_text, d.column as usize - 1);
        let gutter = d.line.to_string().len();
        let pad = " ".repeat(gutter);
        let caret_pad: String = shown
            .chars()
            .take(caret_at)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "{}[{}]: {}", level(d), d.code, d.message);
        let _ = writeln!(out, "{pad}--> {name}:{}:{}", d.line, d.column);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{} | {shown}", d.line);
        let _ = writeln!(out, "{pad} | {caret_pad}^");
        out.push('\n');
    }
    let errors = diagnostics.iter().filter(|d| level(d) == "error").count();
    let warnings = diagnostics.len() - errors;
    if diagnostics.is_empty() {
        let _ = writeln!(out, "{name}: ok");
    } else {
        let _ = writeln!(
            out,
            "{name}: {errors} error{}, {warnings} warning{}",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" }
        );
    }
}

/// The part of `line` to show and the caret's character index in it.
fn window(line: &str, column: usize) -> (String, usize) {
    let count = line.chars().count();
    if count <= MAX_SHOWN {
        return (line.to_owned(), column.min(count));
    }
    let start = column.saturating_sub(MAX_SHOWN / 2).min(count - MAX_SHOWN);
    let mut shown: String = line.chars().skip(start).take(MAX_SHOWN).collect();
    let mut caret = column - start;
    if start > 0 {
        shown.insert_str(0, "...");
        caret += 3;
    }
    if start + MAX_SHOWN < count {
        shown.push_str("...");
    }
    (shown, caret)
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn long_lines_are_windowed_around_the_column() {
        let line = "a".repeat(300);
        let (shown, caret) = window(&line, 150);
        assert_eq!(shown.len(), 106);
        assert!(shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(caret, 53);
        assert_eq!(window("short", 2), ("short".to_owned(), 2));
    }
}
