//! Simulators of vendor APIs on loopback.
