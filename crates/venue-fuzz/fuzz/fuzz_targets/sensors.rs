#![no_main]
//! The sensors target of venue-fuzz under libFuzzer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| venue_fuzz::sensors(data));
