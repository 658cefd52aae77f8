//! Faults a test can inject into one simulated people counter at run time.

use std::collections::VecDeque;

use crate::faults::Times;

/// What goes wrong with a request to a device. Faults act before authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SensorFault {
    /// Hold the request (for two minutes, or until [`crate::SensorSimHandle::clear_faults`] or
    /// shutdown), then answer normally: longer than any sensible client timeout.
    Timeout,
    /// Answer 401 with the device's challenge, even to good credentials (a changed password).
    Unauthorized,
    /// Answer 200 with a body that is not valid JSON.
    Malformed,
    /// Answer with this status (500, 502, 503...) and a short JSON error body.
    ServerError(u16),
    /// Close the connection at once without answering (the device is unplugged or rebooting).
    Offline,
}

/// The faults queued on one device: the front fault fires first; an `UntilCleared` fault at
/// the front blocks the ones queued behind it.
#[derive(Default)]
pub(crate) struct SensorFaultQueue {
    queue: VecDeque<(SensorFault, Times)>,
}

impl SensorFaultQueue {
    pub(crate) fn push(&mut self, fault: SensorFault, times: Times) {
        if times != Times::Next(0) {
            self.queue.push_back((fault, times));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    /// The fault for the next request, if any.
    pub(crate) fn take(&mut self) -> Option<SensorFault> {
        let (fault, times) = self.queue.front_mut()?;
        let fault = *fault;
        if let Times::Next(n) = times {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.queue.pop_front();
            }
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_then_gone_and_until_cleared_stays() {
        let mut q = SensorFaultQueue::default();
        q.push(SensorFault::Offline, Times::Next(2));
        q.push(SensorFault::Malformed, Times::UntilCleared);
        q.push(SensorFault::Timeout, Times::Next(0));
        assert_eq!(q.take(), Some(SensorFault::Offline));
        assert_eq!(q.take(), Some(SensorFault::Offline));
        assert_eq!(q.take(), Some(SensorFault::Malformed));
        assert_eq!(q.take(), Some(SensorFault::Malformed));
        q.clear();
        assert_eq!(q.take(), None);
    }
}
