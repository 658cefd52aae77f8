#![no_main]
//! The toast target of venue-fuzz under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| venue_fuzz::toast(data));
