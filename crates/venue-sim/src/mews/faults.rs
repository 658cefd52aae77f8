//! The Mews endpoints (for faults and request counters) and their fault queues.

use std::collections::VecDeque;

use crate::faults::{Fault, Times};

/// An endpoint of the Mews simulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MewsEndpoint {
    /// `POST /api/connector/v1/reservations/getAll/2023-06-06`
    ReservationsGetAll,
    /// `POST /api/connector/v1/customers/getAll`
    CustomersGetAll,
    /// `POST /api/connector/v1/resources/getAll`
    ResourcesGetAll,
    /// `POST /api/connector/v1/services/getAll`
    ServicesGetAll,
    /// `POST /api/connector/v1/orders/add`
    OrdersAdd,
    /// `POST /api/connector/v1/orderItems/getAll`
    OrderItemsGetAll,
    /// `GET /ws/connector` (the websocket upgrade request)
    Websocket,
}

impl MewsEndpoint {
    /// Every endpoint.
    pub const ALL: [MewsEndpoint; 7] = [
        MewsEndpoint::ReservationsGetAll,
        MewsEndpoint::CustomersGetAll,
        MewsEndpoint::ResourcesGetAll,
        MewsEndpoint::ServicesGetAll,
        MewsEndpoint::OrdersAdd,
        MewsEndpoint::OrderItemsGetAll,
        MewsEndpoint::Websocket,
    ];

    pub(crate) fn index(self) -> usize {
        match self {
            MewsEndpoint::ReservationsGetAll => 0,
            MewsEndpoint::CustomersGetAll => 1,
            MewsEndpoint::ResourcesGetAll => 2,
            MewsEndpoint::ServicesGetAll => 3,
            MewsEndpoint::OrdersAdd => 4,
            MewsEndpoint::OrderItemsGetAll => 5,
            MewsEndpoint::Websocket => 6,
        }
    }

    /// The path (case-sensitive, no trailing slash).
    pub fn path(self) -> &'static str {
        match self {
            MewsEndpoint::ReservationsGetAll => "/api/connector/v1/reservations/getAll/2023-06-06",
            MewsEndpoint::CustomersGetAll => "/api/connector/v1/customers/getAll",
            MewsEndpoint::ResourcesGetAll => "/api/connector/v1/resources/getAll",
            MewsEndpoint::ServicesGetAll => "/api/connector/v1/services/getAll",
            MewsEndpoint::OrdersAdd => "/api/connector/v1/orders/add",
            MewsEndpoint::OrderItemsGetAll => "/api/connector/v1/orderItems/getAll",
            MewsEndpoint::Websocket => "/ws/connector",
        }
    }
}

/// A queued fault: one of the crate's [`Fault`]s, or the orders/add "lost response".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MewsFault {
    Plain(Fault),
    /// Run the request (orders/add records the order), then answer 500.
    LostResponse,
}

/// Fault queues per endpoint, with the same semantics as the POS simulator's: the front fault
/// fires first; an `UntilCleared` fault at the front blocks the ones behind it.
#[derive(Default)]
pub(crate) struct MewsFaultBook {
    queues: [VecDeque<(MewsFault, Times)>; 7],
}

impl MewsFaultBook {
    pub(crate) fn push(&mut self, ep: MewsEndpoint, fault: MewsFault, times: Times) {
        if times != Times::Next(0) {
            self.queues[ep.index()].push_back((fault, times));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queues.iter_mut().for_each(VecDeque::clear);
    }

    pub(crate) fn take(&mut self, ep: MewsEndpoint) -> Option<MewsFault> {
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
    fn queues_are_per_endpoint_and_drain() {
        let mut book = MewsFaultBook::default();
        book.push(
            MewsEndpoint::OrdersAdd,
            MewsFault::LostResponse,
            Times::Next(2),
        );
        book.push(
            MewsEndpoint::OrdersAdd,
            MewsFault::Plain(Fault::ServerError(502)),
            Times::ONCE,
        );
        assert_eq!(book.take(MewsEndpoint::ServicesGetAll), None);
        assert_eq!(
            book.take(MewsEndpoint::OrdersAdd),
            Some(MewsFault::LostResponse)
        );
        assert_eq!(
            book.take(MewsEndpoint::OrdersAdd),
            Some(MewsFault::LostResponse)
        );
        assert_eq!(
            book.take(MewsEndpoint::OrdersAdd),
            Some(MewsFault::Plain(Fault::ServerError(502)))
        );
        assert_eq!(book.take(MewsEndpoint::OrdersAdd), None);
        book.push(
            MewsEndpoint::Websocket,
            MewsFault::LostResponse,
            Times::UntilCleared,
        );
        book.clear();
        assert_eq!(book.take(MewsEndpoint::Websocket), None);
    }
}
