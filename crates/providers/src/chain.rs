//! A provider chain per asset class with failover, itself a Provider.
