//! `seedance-emulator`: runs the local Seedance API server until Ctrl-C.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = seedance_emulator::EmulatorArgs::parse();
    match seedance_emulator::serve(args.into_builder()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seedance-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
