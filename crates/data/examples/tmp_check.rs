use tradelab_data::*;
fn main() {
    let a = std::env::args().nth(1).unwrap();
    let opts = CsvOptions::default();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let l = load_bars(a.as_ref(), &opts).unwrap();
        let t1 = t.elapsed();
        let t = std::time::Instant::now();
        let bytes = std::fs::read(&a).unwrap();
        let t2 = t.elapsed();
        let l2 = parse_bars(&a, &bytes, &opts).unwrap();
        println!("mmap load {t1:?}; read {t2:?} + parse {:?} ({} {})", t.elapsed() - t2, l.report.bars, l2.report.bars);
    }
}
