//! Lot steps set at import: shared by an admin, private to a user, the private one
//! first, positive only.

mod common;

use common::{account, owner};
use tradelab_core::{Quantity, Symbol};
use tradelab_store::{Role, StoreError};

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").expect("symbol")
}

fn step(text: &str) -> Quantity {
    text.parse().expect("quantity")
}

store_test!(
    a_users_lot_step_comes_before_the_shared_one_and_stays_theirs,
    |db| {
        let admin = account(&db.store, "root@example.com", Role::Admin).await;
        let alice = owner(&db.store, "alice@example.com").await;
        let bob = owner(&db.store, "bob@example.com").await;
        let bars = db.store.bars();
        let eth = Symbol::new("ETHUSDT").expect("symbol");
        bars.set_lot_step_as(&admin, &btc(), step("0.00001"))
            .await
            .unwrap();
        bars.set_lot_step_as(&alice, &btc(), step("0.001"))
            .await
            .unwrap();
        let symbols = [btc(), eth.clone()];
        let of = |steps: std::collections::BTreeMap<Symbol, Quantity>| {
            steps
                .into_iter()
                .map(|(s, q)| format!("{s}={q}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            of(bars.lot_steps_for(alice.id, &symbols).await.unwrap()),
            ["BTCUSDT=0.001"]
        );
        assert_eq!(
            of(bars.lot_steps_for(bob.id, &symbols).await.unwrap()),
            ["BTCUSDT=0.00001"],
            "bob sees the shared step, not alice's"
        );
        // Setting it again replaces it.
        bars.set_lot_step_as(&admin, &btc(), step("0.0001"))
            .await
            .unwrap();
        bars.set_lot_step_as(&admin, &eth, step("0.01"))
            .await
            .unwrap();
        assert_eq!(
            of(bars.lot_steps_for(bob.id, &symbols).await.unwrap()),
            ["BTCUSDT=0.0001", "ETHUSDT=0.01"]
        );
        assert!(
            bars.lot_steps_for(bob.id, &[]).await.unwrap().is_empty(),
            "only the symbols asked for"
        );
    }
);

store_test!(a_lot_step_must_be_positive, |db| {
    let alice = owner(&db.store, "alice@example.com").await;
    for bad in ["0", "-0.001"] {
        let err = db
            .store
            .bars()
            .set_lot_step_as(&alice, &btc(), step(bad))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::InvalidData { .. }) && err.to_string().contains("BTCUSDT"),
            "{bad}: {err}"
        );
    }
    assert!(
        db.store
            .bars()
            .lot_steps_for(alice.id, &[btc()])
            .await
            .unwrap()
            .is_empty()
    );
});
