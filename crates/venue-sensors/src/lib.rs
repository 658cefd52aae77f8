//! People counters on the local network: device clients (AXIS People Counter, AXIS P8815-2 3D
//! People Counter, Xovis PC v5), MQTT push, counter semantics (cumulative counters to deltas,
//! resets, device times to UTC) and the poller.

pub mod axis;
pub mod axis3d;
pub mod client;
pub mod config;
pub mod counter;
pub mod device;
pub mod http;
pub mod mqtt;
pub mod poller;
pub mod time;
pub mod xovis;

pub use axis::AxisPeopleCounter;
pub use axis3d::Axis3d;
pub use client::build_device;
pub use config::{SensorConfig, SensorKind};
pub use counter::{delta, occupancy, CounterTracker, Delta};
pub use device::{CounterDevice, CounterSample, HistoryBucket, SensorError};
pub use mqtt::{parse_xovis_push, subscribe, PushBatch};
pub use poller::{PollEvent, PollSettings, PollStats, PolledDevice, Poller};
pub use xovis::Xovis;
