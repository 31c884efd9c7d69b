//! Binance spot klines: REST (paged by startTime) and the websocket kline stream; crypto, 24/7.
