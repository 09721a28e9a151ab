//! `vae evidence` and `vae inspect`: ln p(x), the gap and its split, per image and averaged.

use super::*;

pub(super) fn evidence(args: EvidenceArgs, data_dir: &Path) -> Result<(), Error> {
    let device = Default::default();
    let bytes = args.model.read()?;
    let (model, header) = weights::decode::<Cpu>(&bytes, &device)?;
    let (_, test) = args.model.test_split(data_dir, header.dataset)?;
    if args.all {
        let from = args.from.min(test.len());
        let n = args.count.unwrap_or(test.len()).min(test.len() - from);
        let range = from..from + n;
        let summary = if args.gap_check {
            check_gaps(&model, &test, header.likelihood, args.grid, range)?
        } else if args.gap_split {
            average_gap_split(&model, &test, header.likelihood, args.grid, range)?
        } else {
            return Err("--all needs --gap-check or --gap-split".into());
        };
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    let x = args.image.image(&test)?;
    let index = args.image.index;
    // With --gap-split, the quadrature's box also covers q* (as on the page).
    let start = Instant::now();
    let (ev, split) = if args.gap_split {
        let (ev, split) = evidence_and_split(&model, &x, header.likelihood, args.grid)?;
        (ev, Some(split))
    } else {
        let ev = evidence_by_quadrature(&model, &x, header.likelihood, args.grid, &device);
        (block_on(ev)?, None)
    };
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let is = block_on(evidence_by_importance_sampling(
        &model,
        &x,
        header.likelihood,
        args.samples,
        0,
        &device,
    ))?;
    // ms: ln p(x), the ELBO and the split together (the split alone is most of it).
    let split =
        split.map(|s| json!({"split": s, "total_gap": s.total_gap(), "evidence_and_split_ms": ms}));
    let mut summary = json!({
        "index": index,
        "label": test.label(index),
        "reading": header.likelihood.reading(&x),
        "log_px_quadrature": ev.log_px,
        "log_px_importance": is,
        "importance_samples": args.samples,
        "elbo": ev.elbo,
        "recon": ev.recon,
        "kl": ev.kl,
        "gap": ev.gap,
        "posterior": ev.posterior,
        "grid": ev.grid,
    });
    if let Some(split) = split {
        summary["gap_split"] = split;
    }
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// ln p(x), the ELBO and the gap split of `x` (what the page's inspection computes).
fn evidence_and_split(
    model: &vae_playground::vae::model::Vae<Cpu>,
    x: &[f32],
    likelihood: Likelihood,
    grid: usize,
) -> Result<(Evidence, GapSplit), Error> {
    let (ev, split) = block_on(evidence_with_gap_split(
        model,
        x,
        likelihood,
        grid,
        &Default::default(),
    ))?;
    let split = split.ok_or("the gap split needs a 2-D latent space")?;
    Ok((ev, split))
}

/// Means of the gap split's numbers over the test images in `range`.
fn average_gap_split(
    model: &vae_playground::vae::model::Vae<Cpu>,
    test: &Digits,
    likelihood: Likelihood,
    grid: usize,
    range: std::ops::Range<usize>,
) -> Result<serde_json::Value, Error> {
    let count = range.len();
    let first = range.start;
    let bar = progress_bar(count as u64, false);
    let start = Instant::now();
    // Sums of: ln p(x), ELBO(q_phi), ELBO(q*), ELBO(full q*), the approximation,
    // amortisation and full-covariance approximation gaps, and ELBO(q*) by Gauss-Hermite.
    let mut sums = [0.0f64; 8];
    let (mut not_converged, mut max_iterations) = (0usize, 0usize);
    let mut min_approximation = (f64::INFINITY, first);
    for i in range {
        let x = test.image_f32(i);
        let (_, s) = evidence_and_split(model, &x, likelihood, grid)?;
        let values = [
            s.log_px,
            s.elbo_encoder,
            s.elbo_diagonal,
            s.elbo_full,
            s.approximation_gap,
            s.amortisation_gap,
            s.full_approximation_gap,
            s.diagonal.elbo,
        ];
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(format!("image {i}: a number of its split is {bad}").into());
        }
        for (sum, v) in sums.iter_mut().zip(values) {
            *sum += v;
        }
        not_converged += usize::from(!s.diagonal.converged || !s.full.converged);
        max_iterations = max_iterations.max(s.diagonal.iterations.max(s.full.iterations));
        if s.approximation_gap < min_approximation.0 {
            min_approximation = (s.approximation_gap, i);
        }
        bar.inc(1);
    }
    bar.finish();
    let n = count.max(1) as f64;
    let mean = |k: usize| sums[k] / n;
    Ok(json!({
        "images": count,
        "from": first,
        "grid": grid,
        "gauss_hermite_nodes": GAP_NODES,
        "mean_log_px": mean(0),
        "mean_elbo_encoder": mean(1),
        "mean_elbo_diagonal_q_star": mean(2),
        "mean_elbo_full_q_star": mean(3),
        "mean_total_gap": mean(0) - mean(1),
        "mean_approximation_gap": mean(4),
        "mean_amortisation_gap": mean(5),
        "mean_full_approximation_gap": mean(6),
        "mean_elbo_diagonal_q_star_gauss_hermite": mean(7),
        "min_approximation_gap": min_approximation.0,
        "min_approximation_gap_index": min_approximation.1,
        "not_converged": not_converged,
        "max_iterations": max_iterations,
        "seconds": start.elapsed().as_secs_f64(),
        "ms_per_image": 1e3 * start.elapsed().as_secs_f64() / n,
    }))
}

pub(super) fn inspect(args: InspectArgs, data_dir: &Path) -> Result<(), Error> {
    let InspectArgs {
        model: source,
        image,
        view_n,
        half,
        samples,
        iwae_k,
        repeat,
    } = args;
    let bytes = source.read()?;
    let header = weights::decode::<Cpu>(&bytes, &Default::default())?.1;
    let model = AnyVae::from_weights(&bytes)?;
    let (_, test) = source.test_split(data_dir, header.dataset)?;
    let x = image.image(&test)?;
    let view = Grid {
        z1: (-half, half),
        z2: (-half, half),
        n: view_n,
    };
    let inspect = || block_on(model.inspect(&x, header.likelihood, view, samples, iwae_k, 0));
    let result = inspect()?; // warm-up
    let inspect_ms = time_ms(repeat, || inspect().map(drop))?;
    let decode_view = Grid { n: 20, ..view };
    let z: Vec<f32> = decode_view
        .points()
        .iter()
        .flatten()
        .map(|&v| v as f32)
        .collect();
    block_on(model.decode(&z))?; // warm-up
    let decode_ms = time_ms(repeat, || block_on(model.decode(&z)).map(drop))?;
    let heat_mass: f64 = result.heat.iter().sum::<f64>() * view.cell_area();
    let summary = json!({
        "index": image.index,
        "view": view,
        "samples": samples,
        "iwae_k": iwae_k,
        "repeat": repeat,
        "inspect_ms": inspect_ms,
        "decode_20x20_ms": decode_ms,
        "log_px": result.evidence.log_px,
        "iwae": result.iwae,
        "elbo": result.evidence.elbo,
        "gap": result.evidence.gap,
        "quadrature_grid": result.evidence.grid,
        "heat_mass_in_view": heat_mass,
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

/// Milliseconds per call of `f` over `repeat` calls: median, min and max.
fn time_ms(
    repeat: usize,
    mut f: impl FnMut() -> Result<(), ReadbackError>,
) -> Result<serde_json::Value, Error> {
    let mut ms = Vec::new();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        f()?;
        ms.push(start.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    Ok(json!({
        "median": ms[ms.len() / 2],
        "min": ms[0],
        "max": ms[ms.len() - 1],
    }))
}

/// ln p(x) - ELBO(x) by quadrature for the test images in `range`.
fn check_gaps(
    model: &vae_playground::vae::model::Vae<Cpu>,
    test: &Digits,
    likelihood: Likelihood,
    grid: usize,
    range: std::ops::Range<usize>,
) -> Result<serde_json::Value, Error> {
    let device = Default::default();
    let count = range.len();
    let bar = progress_bar(count as u64, false);
    let start = Instant::now();
    let mut min_gap = f64::INFINITY;
    let mut min_index = range.start;
    let (mut below_zero, mut below_slack) = (0usize, 0usize);
    let mut sum_gap = 0.0;
    let mut sum_log_px = 0.0;
    let first = range.start;
    for i in range {
        let ev = block_on(evidence_by_quadrature(
            model,
            &test.image_f32(i),
            likelihood,
            grid,
            &device,
        ))?;
        if !ev.gap.is_finite() {
            return Err(format!("image {i}: gap {} is not finite", ev.gap).into());
        }
        if ev.gap < min_gap {
            min_gap = ev.gap;
            min_index = i;
        }
        below_zero += usize::from(ev.gap < 0.0);
        below_slack += usize::from(ev.gap < -GAP_SLACK);
        sum_gap += ev.gap;
        sum_log_px += ev.log_px;
        bar.inc(1);
        bar.set_message(format!("min gap {min_gap:.5} (image {min_index})"));
    }
    bar.finish();
    let seconds = start.elapsed().as_secs_f64();
    Ok(json!({
        "images": count,
        "from": first,
        "grid": grid,
        "min_gap": min_gap,
        "min_gap_index": min_index,
        "mean_gap": sum_gap / count.max(1) as f64,
        "mean_log_px": sum_log_px / count.max(1) as f64,
        "below_zero": below_zero,
        "slack": GAP_SLACK,
        "below_minus_slack": below_slack,
        "seconds": seconds,
        "ms_per_image": 1e3 * seconds / count.max(1) as f64,
        "ok": below_slack == 0,
    }))
}
