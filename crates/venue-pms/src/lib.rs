//! Property-management-system sync: the Mews Connector API.
