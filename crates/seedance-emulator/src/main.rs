//! `seedance-emulator`: runs the local Seedance API server until Ctrl-C.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = seedance_emulator::EmulatorArgs::parse();
    let builder = match args.builder() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("seedance-emulator: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match seedance_emulator::serve(builder).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("seedance-emulator: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
