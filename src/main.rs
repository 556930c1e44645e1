//! The `membudget` command: parse arguments, run, map the outcome to an exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

use membudget::error::Error;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = cli::run(args, &mut out);
    // Flush whatever was written, also before reporting an error.
    let flushed = out.flush().map_err(Error::Output);
    let result = result.and_then(|code| flushed.map(|()| code));
    match result {
        Ok(code) => ExitCode::from(code as u8),
        // A reader that stops early (`| head`) is not an error, whatever the command.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("membudget: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
