use laniakea_stress::calibrate::*;
fn main() {
    for tm in [2u64, 3, 5, 10] {
        let mut i = CalibrateInput::default();
        i.theft_multiplier = tm;
        let b = optimal_max_change(&i, 100..=5000).unwrap();
        println!(
            "theft {tm}: {b} irl {}",
            published_harm(&i, b).unwrap().irl_wad
        );
    }
    for sr in [1u64, 3, 5, 10] {
        let mut i = CalibrateInput::default();
        i.surface_ratio = sr;
        let b = optimal_max_change(&i, 100..=5000).unwrap();
        println!(
            "surf {sr}: {b} irl {}",
            published_harm(&i, b).unwrap().irl_wad
        );
    }
    for t in [10u64, 50, 100, 500] {
        let mut i = CalibrateInput::default();
        i.target_per_day_wad = laniakea_stress::scenario::usds(t * 1_000_000);
        let b = optimal_max_change(&i, 100..=5000).unwrap();
        let p = published_harm(&i, b).unwrap();
        println!(
            "target {t}M: {b} irl {} t1 {} t2 {}",
            p.irl_wad, p.type1_wad, p.type2_wad
        );
    }
}
