//! What std would provide on `wasm32-wasip2` and `no_std` must: the allocator, the panic
//! handler, and the C memory routines that LLVM calls but has no wasm instruction for
//! (`memcpy`, `memmove` and `memset` become `memory.copy`/`memory.fill`; `memcmp` and
//! `bcmp` stay calls, which wasi-libc answers under std).

/// The heap: dlmalloc over `memory.grow`, as std uses on wasm targets without libc.
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// A panic traps, as std's `panic = "abort"` does; no message is printed.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// C `memcmp`: the sign of the first differing byte pair, or 0.
///
/// # Safety
/// `a` and `b` are readable for `n` bytes (the C contract; only the compiler calls it).
#[no_mangle]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n, and both are readable for n bytes by the caller's contract.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// C `bcmp`: 0 if the `n` bytes are equal (LLVM's equality-only `memcmp`).
///
/// # Safety
/// As [`memcmp`].
#[no_mangle]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// The canonical ABI allocator the component exports, which wasi-libc provides under std
/// (so wit-bindgen links none on `wasm32-wasip2`). Same logic as wit-bindgen's own.
///
/// # Safety
/// Called by the host per the canonical ABI: `align` is a power of two, and a non-zero
/// `old_len` comes with a block of that size and alignment from this allocator.
#[no_mangle]
unsafe extern "C" fn cabi_realloc(old_ptr: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    use alloc::alloc::{alloc, realloc, Layout};

    let ptr = if old_len == 0 {
        if new_len == 0 {
            return align as *mut u8;
        }
        // SAFETY: align is a power of two (caller contract) and new_len is non-zero.
        unsafe { alloc(Layout::from_size_align_unchecked(new_len, align)) }
    } else {
        // SAFETY: old_ptr was allocated with this layout (caller contract).
        unsafe { realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len) }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}
