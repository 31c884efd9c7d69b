//! Alpaca market data v2: REST bars (paged by next_page_token) and the websocket bar stream.
