//! The app's own heap on a console that stays open for weeks.
//!
//! glibc raises its trim and mmap thresholds each time a large block is freed (up to 64 MB), so
//! after one burst (a PMS gap-fill, a big connector page) a thread's arena kept its whole peak
//! as one free top chunk for good: `venue-bench app` found a 19 MB arena whose 19 MB were free,
//! which `malloc_trim` could not return. Fixed thresholds turn that adjustment off: blocks of
//! 256 KB and more are mapped and unmapped on their own, and an arena's free top beyond 1 MB
//! goes back to the OS.

/// Blocks at least this large get their own mapping, returned to the OS when freed.
#[cfg(target_os = "linux")]
const MMAP_THRESHOLD: libc::c_int = 256 * 1024;
/// Free memory at the top of an arena beyond this is returned to the OS.
#[cfg(target_os = "linux")]
const TRIM_THRESHOLD: libc::c_int = 1024 * 1024;

/// Call first in `main`, before any thread starts.
pub fn return_freed_memory() {
    // SAFETY: mallopt takes integers and only sets allocator parameters; it is called first
    // in main, before any other thread exists that could be allocating meanwhile.
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    unsafe {
        if libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) != 1
            || libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) != 1
        {
            eprintln!("venue-console: could not set the allocator's thresholds");
        }
    }
}
