//! The matmul kernel choice (src/vae/kernel_choice.rs) as plain Rust: which products are
//! timed, the plan within the budget, the decision from the timings, and the remembered file.
//! Timings here come from a model of each kernel's speed; tests/wgpu_matmul.rs times real ones.

use vae_playground::data::PIXELS;
use vae_playground::vae::kernel_choice::{
    choose, compile_ahead, training_products, AdapterKey, Kernel, KernelSetting, KernelTable,
    Measurement, Product, RememberedError, RememberedKernels, BUDGET_MS, MAX_REPS, MIN_RUN_MS,
};

/// Run a measurement where each kernel takes `ms_per_madd(kernel, product)` per multiply-add,
/// `compile_ms(kernel)` more on its cold run of a product, and every run `latency_ms` more for
/// its read-back. Returns it and every run made (product, kernel, reps, cold, ms spent before).
#[allow(clippy::type_complexity)]
fn simulate_with(
    products: Vec<Product>,
    budget: f64,
    compile_ms: impl Fn(Kernel) -> f64,
    latency_ms: f64,
    ms_per_madd: impl Fn(Kernel, Product) -> f64,
) -> (Measurement, Vec<(Product, Kernel, usize, bool, f64)>) {
    let mut m = Measurement::new(products, budget);
    let mut runs = Vec::new();
    while let Some(run) = m.next_run() {
        let ms = ms_per_madd(run.kernel, run.product) * run.product.size() * run.reps as f64
            + if run.cold {
                compile_ms(run.kernel)
            } else {
                0.0
            }
            + latency_ms;
        runs.push((run.product, run.kernel, run.reps, run.cold, m.spent_ms));
        m.record(run, ms);
        assert!(runs.len() < 1000, "the measurement ends");
    }
    (m, runs)
}

#[allow(clippy::type_complexity)]
fn simulate(
    products: Vec<Product>,
    budget: f64,
    compile_ms: f64,
    ms_per_madd: impl Fn(Kernel, Product) -> f64,
) -> (Measurement, Vec<(Product, Kernel, usize, bool, f64)>) {
    simulate_with(products, budget, |_| compile_ms, 0.0, ms_per_madd)
}

/// The largest count of products both kernels ran `p` with, warm (0: none).
fn largest_common_reps(runs: &[(Product, Kernel, usize, bool, f64)], p: Product) -> usize {
    let reps = |k| {
        runs.iter()
            .filter(move |r| r.0 == p && r.1 == k && !r.3)
            .map(|r| r.2)
    };
    reps(Kernel::Ours)
        .filter(|r| reps(Kernel::Burn).any(|b| b == *r))
        .max()
        .unwrap_or(0)
}

/// The faster warm run of `p` at `reps` products, ms.
fn faster_run(m: &Measurement, p: Product, reps: usize) -> f64 {
    m.timings
        .iter()
        .filter(|t| !t.cold && t.product == p && t.reps == reps)
        .map(|t| t.ms)
        .fold(f64::MAX, f64::min)
}

#[test]
fn the_products_timed_are_the_covered_ones_of_a_training_step() {
    assert_eq!(
        training_products(128, 512),
        vec![
            Product::new(128, PIXELS, 512),
            Product::new(128, 512, PIXELS),
            Product::new(PIXELS, 128, 512),
            Product::new(512, 128, PIXELS),
        ]
    );
    // A batch that is not a multiple of 4: ours covers none of them, so there is nothing to time.
    assert!(training_products(13, 512).is_empty());
    assert!(training_products(128, 10).is_empty());
}

#[test]
fn on_a_real_gpu_both_kernels_are_timed_warm_on_every_product_and_the_faster_kept_per_product() {
    let products = training_products(128, 512);
    let special = products[2];
    // A product takes tens of microseconds and a read-back 0.3 ms: a run of a few products
    // times the read-back. Burn's a third faster except on one product, where ours is.
    let ours = 20e-3 / products[0].size();
    let (m, runs) = simulate_with(
        products.clone(),
        BUDGET_MS,
        |_| 5.0,
        0.3,
        |k, p| match (k, p == special) {
            (Kernel::Ours, _) => ours,
            (Kernel::Burn, false) => ours / 1.5,
            (Kernel::Burn, true) => ours * 1.5,
        },
    );
    assert!(m.spent_ms <= BUDGET_MS, "{}", m.spent_ms);
    for (i, p) in products.iter().enumerate() {
        // The first product's kernels were compiled before the measurement.
        let colds = runs.iter().filter(|r| r.0 == *p && r.3).count();
        assert_eq!(colds, if i == 0 { 0 } else { 2 }, "{p:?}: {runs:?}");
        // The pair grew until a run outlasted the read-back many times over.
        let reps = largest_common_reps(&runs, *p);
        assert!(
            reps == MAX_REPS || faster_run(&m, *p, reps) >= MIN_RUN_MS,
            "{p:?}: {runs:?}"
        );
    }
    let table = m.table();
    for p in &products {
        let want = if *p == special {
            Kernel::Ours
        } else {
            Kernel::Burn
        };
        assert_eq!(table.kernel(*p), want, "{p:?}");
    }
    assert_eq!(
        table.otherwise,
        Kernel::Burn,
        "the faster over all products"
    );
    assert!(table.covers(&products));
}

#[test]
fn a_slow_cold_run_spends_the_budget_but_does_not_decide_the_warm_times_do() {
    // As on an NVIDIA H200: Burn's cold run on the second product took 296 ms against 1.2 ms for
    // ours, yet once warm the two are close. Here Burn's is the faster once warm.
    let products = training_products(128, 512);
    let ours = 20e-3 / products[0].size();
    let (m, runs) = simulate_with(
        products.clone(),
        BUDGET_MS,
        |k| match k {
            Kernel::Ours => 1.2,
            Kernel::Burn => 296.0,
        },
        0.3,
        |k, _| match k {
            Kernel::Ours => ours,
            Kernel::Burn => ours * 0.8,
        },
    );
    let (first, second) = (products[0], products[1]);
    assert!(faster_run(&m, first, largest_common_reps(&runs, first)) >= MIN_RUN_MS);
    // Burn's cold run on the second product spent the budget: nothing after it.
    let last = runs.last().expect("runs");
    assert_eq!(
        (last.0, last.1, last.3),
        (second, Kernel::Burn, true),
        "{runs:?}"
    );
    assert!(
        runs.iter().all(|r| r.0 == first || r.0 == second),
        "{runs:?}"
    );
    // The second product's cold runs favour ours; it follows the first product's warm runs.
    let table = m.table();
    assert_eq!(table.kernel(first), Kernel::Burn);
    assert_eq!(table.otherwise, Kernel::Burn);
    assert!(products.iter().all(|p| table.kernel(*p) == Kernel::Burn));
}

#[test]
fn on_a_software_adapter_the_budget_stops_the_slow_kernel_on_the_first_product_and_ours_is_kept() {
    // SwiftShader, as measured: ours ~25 ms per product, Burn's ten times that.
    let products = training_products(128, 512);
    let ours_rate = 25.0 / products[0].size();
    let (m, runs) = simulate(products.clone(), BUDGET_MS, 10.0, |k, _| match k {
        Kernel::Ours => ours_rate,
        Kernel::Burn => ours_rate * 10.0,
    });
    // On the first product (compiled before the measurement) a warm run of each, which
    // outlasts the read-back at once, so no more; after it the budget is spent.
    let made: Vec<_> = runs.iter().map(|r| (r.0, r.1, r.2, r.3)).collect();
    assert_eq!(
        made,
        vec![
            (products[0], Kernel::Ours, 1, false),
            (products[0], Kernel::Burn, 1, false)
        ]
    );
    let table = m.table();
    assert!(products.iter().all(|p| table.kernel(*p) == Kernel::Ours));
    assert_eq!(table.otherwise, Kernel::Ours);
}

#[test]
fn the_choice_follows_the_timings_whichever_kernel_is_faster() {
    let products = training_products(64, 256);
    for faster in Kernel::BOTH {
        let (m, _) = simulate(products.clone(), 1e9, 0.0, |k, _| {
            if k == faster {
                1e-8
            } else {
                3e-8
            }
        });
        assert_eq!(m.table(), {
            let mut t = KernelTable::all(faster);
            t.per_product = products.iter().map(|p| (*p, faster)).collect();
            t
        });
    }
}

#[test]
fn with_nothing_timed_ours_stays_and_even_no_budget_times_each_kernel_once() {
    let products = training_products(128, 512);
    assert_eq!(choose(&products, &[]).otherwise, Kernel::Ours);
    assert!(products
        .iter()
        .all(|p| choose(&products, &[]).kernel(*p) == Kernel::Ours));
    // A budget of nothing: still the first product's warm pairs until one lasts MIN_RUN_MS,
    // so the choice has timed both, and the other products follow it.
    let (m, runs) = simulate(products.clone(), 0.0, 1.0, |k, _| match k {
        Kernel::Ours => 2e-8,
        Kernel::Burn => 1e-8,
    });
    assert!(runs.iter().all(|r| r.0 == products[0]), "{runs:?}");
    assert_eq!(runs.iter().filter(|r| r.3).count(), 0, "{runs:?}");
    let reps = largest_common_reps(&runs, products[0]);
    assert!(faster_run(&m, products[0], reps) >= MIN_RUN_MS, "{runs:?}");
    let table = m.table();
    assert!(products.iter().all(|p| table.kernel(*p) == Kernel::Burn));
    // Timings of one kernel alone: that one.
    let ours_only: Vec<_> = m
        .timings
        .iter()
        .filter(|t| t.kernel == Kernel::Ours)
        .copied()
        .collect();
    assert_eq!(choose(&products, &ours_only).otherwise, Kernel::Ours);
}

#[test]
fn what_is_compiled_while_the_images_load_is_what_the_trainer_runs_first() {
    let products = training_products(128, 512);
    // Measuring: both kernels on the first product, which the measurement times first.
    let measuring = vec![(products[0], Kernel::Ours), (products[0], Kernel::Burn)];
    assert_eq!(
        compile_ahead(KernelSetting::Auto, None, &products),
        measuring
    );
    // Forced: that kernel on every product.
    assert_eq!(
        compile_ahead(KernelSetting::Force(Kernel::Burn), None, &products),
        products
            .iter()
            .map(|&p| (p, Kernel::Burn))
            .collect::<Vec<_>>()
    );
    // Remembered for these products: each product's kernel; for others, measured again.
    let table = KernelTable {
        per_product: products
            .iter()
            .enumerate()
            .map(|(i, &p)| (p, Kernel::BOTH[i % 2]))
            .collect(),
        otherwise: Kernel::Ours,
    };
    assert_eq!(
        compile_ahead(KernelSetting::Auto, Some(&table), &products),
        table.per_product
    );
    let other = training_products(64, 512);
    assert_eq!(
        compile_ahead(KernelSetting::Auto, Some(&table), &other),
        vec![(other[0], Kernel::Ours), (other[0], Kernel::Burn)]
    );
    assert!(compile_ahead(KernelSetting::Auto, None, &[]).is_empty());
}

#[test]
fn tables_merge_entry_by_entry_and_say_what_they_use() {
    let a = Product::new(128, PIXELS, 512);
    let b = Product::new(64, PIXELS, 512);
    let old = KernelTable {
        per_product: vec![(a, Kernel::Ours), (b, Kernel::Ours)],
        otherwise: Kernel::Ours,
    };
    let new = KernelTable {
        per_product: vec![(b, Kernel::Burn)],
        otherwise: Kernel::Burn,
    };
    let merged = old.merged(&new);
    assert_eq!(merged.kernel(a), Kernel::Ours);
    assert_eq!(merged.kernel(b), Kernel::Burn);
    assert_eq!(merged.otherwise, Kernel::Burn);
    assert!(merged.covers(&[a, b]) && !merged.covers(&[Product::new(4, 4, 4)]));
    assert_eq!(merged.describe(), "ours on 1 products, Burn's on 1");
    assert_eq!(KernelTable::all(Kernel::Burn).describe(), "Burn's");
    assert_eq!(old.describe(), "ours");
}

#[test]
fn a_remembered_choice_is_used_only_for_its_own_adapter_and_a_bad_one_is_refused() {
    let adapter = AdapterKey {
        vendor: "google".into(),
        architecture: "swiftshader".into(),
        description: String::new(),
        driver: "Chrome/140".into(),
    };
    let table = KernelTable {
        per_product: vec![(Product::new(128, PIXELS, 512), Kernel::Burn)],
        otherwise: Kernel::Ours,
    };
    let bytes = RememberedKernels {
        adapter: adapter.clone(),
        table: table.clone(),
    }
    .to_bytes();
    assert_eq!(
        RememberedKernels::from_bytes(&bytes, &adapter).expect("its own"),
        table
    );
    let other = AdapterKey {
        driver: "Chrome/141".into(),
        ..adapter.clone()
    };
    assert_ne!(other.storage_key(), adapter.storage_key());
    assert!(matches!(
        RememberedKernels::from_bytes(&bytes, &other),
        Err(RememberedError::OtherAdapter)
    ));
    for bad in [
        &b""[..],
        b"{",
        b"{\"adapter\":1}",
        &bytes[..bytes.len() / 2],
    ] {
        assert!(matches!(
            RememberedKernels::from_bytes(bad, &adapter),
            Err(RememberedError::Malformed(_))
        ));
    }
}
