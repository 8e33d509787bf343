//! `seedance_cancel`: a token any thread may trigger to stop a call.

use seedance_http::CancellationToken;

use crate::error::seedance_result;
use crate::panic::{arg_ref, boundary, call, read, returning, take};

/// A cancellation token. Pass it in `seedance_call_options.cancel`; any thread may
/// trigger it with `seedance_cancel_trigger`, and the calls using it return
/// `SEEDANCE_RESULT_CANCELLED` promptly. Once triggered it stays triggered. Free it
/// only after every call using it has returned.
pub struct seedance_cancel {
    pub(crate) token: CancellationToken,
}

crate::panic::handles!(seedance_cancel);

/// Makes a token into `*out` (free it with `seedance_cancel_free`).
#[no_mangle]
pub extern "C" fn seedance_cancel_new(out: *mut *mut seedance_cancel) -> seedance_result {
    returning(out, || {
        Ok(seedance_cancel {
            token: CancellationToken::new(),
        })
    })
}

/// Triggers the token (from any thread; idempotent).
#[no_mangle]
pub extern "C" fn seedance_cancel_trigger(cancel: *const seedance_cancel) -> seedance_result {
    call(|| {
        arg_ref(cancel, "cancel")?.token.cancel();
        Ok(())
    })
}

/// Whether the token was triggered (false for NULL).
#[no_mangle]
pub extern "C" fn seedance_cancel_is_triggered(cancel: *const seedance_cancel) -> bool {
    read(cancel, |c| c.token.is_cancelled())
}

/// Frees a token. NULL is a no-op.
#[no_mangle]
pub extern "C" fn seedance_cancel_free(cancel: *mut seedance_cancel) {
    boundary(|| take(cancel))
}
