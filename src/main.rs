//! The `intune-reach` binary: parse the command line, run it, map the outcome to an exit code.

use clap::Parser;

fn main() {
    let cli = intune_reach::cli::Cli::parse();
    let code = match intune_reach::app::run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    };
    std::process::exit(code);
}
