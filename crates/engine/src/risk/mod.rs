//! Risk rules (in progress).
