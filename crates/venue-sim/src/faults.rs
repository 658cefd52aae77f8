//! Faults a test can inject into the simulator's endpoints at run time.

use std::collections::VecDeque;
use std::time::Duration;

use crate::model::Vendor;

/// An endpoint of the simulator (for faults and request counters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `GET /v2/locations`
    SquareLocations,
    /// `GET /v2/payments`
    SquarePayments,
    /// `POST /v2/orders/search`
    SquareSearchOrders,
    /// `POST /authentication/v1/authentication/login`
    ToastLogin,
    /// `GET /orders/v2/ordersBulk`
    ToastOrdersBulk,
    /// `GET /restaurants/v1/restaurants/{guid}`
    ToastRestaurant,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 6] = [
        Endpoint::SquareLocations,
        Endpoint::SquarePayments,
        Endpoint::SquareSearchOrders,
        Endpoint::ToastLogin,
        Endpoint::ToastOrdersBulk,
        Endpoint::ToastRestaurant,
    ];

    pub(crate) fn index(self) -> usize {
        match self {
            Endpoint::SquareLocations => 0,
            Endpoint::SquarePayments => 1,
            Endpoint::SquareSearchOrders => 2,
            Endpoint::ToastLogin => 3,
            Endpoint::ToastOrdersBulk => 4,
            Endpoint::ToastRestaurant => 5,
        }
    }

    /// The vendor whose API it belongs to.
    pub fn vendor(self) -> Vendor {
        match self {
            Endpoint::SquareLocations | Endpoint::SquarePayments | Endpoint::SquareSearchOrders => {
                Vendor::Square
            }
            Endpoint::ToastLogin | Endpoint::ToastOrdersBulk | Endpoint::ToastRestaurant => {
                Vendor::Toast
            }
        }
    }

    /// The HTTP method and path (a `{name}` segment stands for an id in the URL).
    pub fn route(self) -> (&'static str, &'static str) {
        match self {
            Endpoint::SquareLocations => ("GET", "/v2/locations"),
            Endpoint::SquarePayments => ("GET", "/v2/payments"),
            Endpoint::SquareSearchOrders => ("POST", "/v2/orders/search"),
            Endpoint::ToastLogin => ("POST", "/authentication/v1/authentication/login"),
            Endpoint::ToastOrdersBulk => ("GET", "/orders/v2/ordersBulk"),
            Endpoint::ToastRestaurant => ("GET", "/restaurants/v1/restaurants/{guid}"),
        }
    }
}

/// How a 429 states when to come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`
    Seconds(u64),
    /// `Retry-After: <HTTP date>`, this far in the future (whole seconds).
    HttpDate(Duration),
    /// No `Retry-After` header.
    Absent,
}

/// What goes wrong with a request. Faults are applied before authentication, in the vendor's
/// error format where there is a body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Latency(Duration),
    /// Answer with this 5xx status (500, 502, 503, 504...) and the vendor's error body.
    ServerError(u16),
    /// Answer 429 (Square `RATE_LIMITED`; Toast error body) with or without `Retry-After`.
    RateLimited(RetryAfter),
    /// Hold the request for [`crate::SimConfig::timeout_hold`] (or until shutdown), then answer
    /// normally: longer than any sensible client timeout.
    Timeout,
    /// Answer 200 with a body that is not valid JSON (a comma doubled).
    MalformedJson,
    /// Answer 200 announcing the full `Content-Length` but send only the first half of the body,
    /// then drop the connection: the client sees a body/decoding error.
    TruncatedJson,
    /// Answer with the previous successful response of this endpoint again, verbatim (body, and
    /// cursor or Link headers): the page repeats and pagination does not advance. Without a
    /// previous response, answers normally.
    RepeatPreviousPage,
    /// Answer 401 as for an expired token. For Toast the presented token is really expired, so the
    /// client has to log in again; for Square it is a one-off 401 `UNAUTHORIZED`.
    ExpiredToken,
}

/// How often a fault fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Times {
    /// On the next N requests to the endpoint, then it is gone.
    Next(u32),
    /// On every request until [`crate::SimHandle::clear_faults`].
    UntilCleared,
}

impl Times {
    /// The next request only.
    pub const ONCE: Times = Times::Next(1);
}

/// Queues of faults per endpoint: the front fault fires first; an `UntilCleared` fault at the
/// front blocks the ones queued behind it.
#[derive(Default)]
pub(crate) struct FaultBook {
    queues: [VecDeque<(Fault, Times)>; Endpoint::ALL.len()],
}

impl FaultBook {
    pub(crate) fn push(&mut self, ep: Endpoint, fault: Fault, times: Times) {
        if times != Times::Next(0) {
            self.queues[ep.index()].push_back((fault, times));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queues.iter_mut().for_each(VecDeque::clear);
    }

    pub(crate) fn clear_endpoint(&mut self, ep: Endpoint) {
        self.queues[ep.index()].clear();
    }

    pub(crate) fn pending(&self, ep: Endpoint) -> usize {
        self.queues[ep.index()].len()
    }

    /// The fault for the next request to `ep`, if any.
    pub(crate) fn take(&mut self, ep: Endpoint) -> Option<Fault> {
        let queue = &mut self.queues[ep.index()];
        let (fault, times) = queue.front_mut()?;
        let fault = fault.clone();
        if let Times::Next(n) = times {
            *n = n.saturating_sub(1);
            if *n == 0 {
                queue.pop_front();
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
        let mut book = FaultBook::default();
        let ep = Endpoint::SquarePayments;
        book.push(ep, Fault::ServerError(503), Times::Next(2));
        book.push(ep, Fault::MalformedJson, Times::UntilCleared);
        assert_eq!(book.take(ep), Some(Fault::ServerError(503)));
        assert_eq!(book.take(ep), Some(Fault::ServerError(503)));
        for _ in 0..3 {
            assert_eq!(book.take(ep), Some(Fault::MalformedJson));
        }
        assert_eq!(book.take(Endpoint::ToastLogin), None);
        book.clear();
        assert_eq!(book.take(ep), None);
        book.push(ep, Fault::Timeout, Times::Next(0));
        assert_eq!(book.pending(ep), 0);
    }
}
