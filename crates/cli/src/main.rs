//! `dialtone`: the command-line entry point. Each subcommand lives in its own module; this file
//! only parses arguments and turns outcomes into exit codes.

mod bench;
mod config;
mod serve;
mod twiml_check;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Dialtone, a Twilio-compatible programmable voice engine.
#[derive(Debug, Parser)]
#[command(name = "dialtone", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Twilio-compatible server (REST API, webhooks, simulated softphones).
    Serve(Box<config::ServeArgs>),
    /// Measure a real server end to end: calls/s, webhook latency, lost callbacks.
    Bench(bench::BenchArgs),
    /// TwiML tools.
    Twiml {
        #[command(subcommand)]
        command: TwimlCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TwimlCommand {
    /// Check TwiML documents; exit 0 without errors, 1 with errors, 2 on usage errors.
    Check(twiml_check::CheckArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::main(&args),
        Command::Bench(args) => bench::main(&args),
        Command::Twiml {
            command: TwimlCommand::Check(args),
        } => twiml_check::main(&args),
    }
}
