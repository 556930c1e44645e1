//! The `membudget` command: parse arguments, run, map the outcome to an exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use membudget::error::{Error, EXIT_BAD_INPUT};

mod cli;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => e.exit(), // --help, --version
        // No subcommand: the short help, on stderr with exit 2 (clap's own convention for
        // a command that needs one), not its first line dressed as an error.
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            eprint!("{}", e.render());
            return ExitCode::from(EXIT_BAD_INPUT as u8);
        }
        Err(e) => {
            // One line, like every other error; `--help` has the rest.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.strip_prefix("error: ").unwrap_or(&first);
            eprintln!("membudget: {first} (see membudget --help)");
            return ExitCode::from(EXIT_BAD_INPUT as u8);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = cli::run(args, &mut out);
    // Flush whatever was written, also before reporting an error.
    let flushed = out.flush().map_err(Error::Output);
    let result = match (result, flushed) {
        // A reader that stops early (`| head`) is not an error, and it does not change a
        // verdict: `check`'s exit code stands whatever happened to its output.
        (Ok(code), Err(Error::Output(e))) if e.kind() == io::ErrorKind::BrokenPipe => Ok(code),
        (Ok(code), flushed) => flushed.map(|()| code),
        (Err(e), _) => Err(e),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // Commands without a verdict (report, diff, chips...) succeed when the reader leaves;
        // `check` catches its own broken pipe to keep its verdict.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("membudget: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
