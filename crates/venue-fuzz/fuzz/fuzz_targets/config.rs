#![no_main]
//! The config target of venue-fuzz under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| venue_fuzz::config(data));
