//! What every panel, control and read-out of the page is, in one table: element id
//! (`data-testid`) → one sentence and the formula or the reason behind it (`vae-math.md`'s
//! notation). The page gives each element its text as an accessible description and shows it
//! on hover, focus and tap; a test checks the table against the README's contract ids and a
//! browser test against every element the page renders.

/// How an element is explained: a control or read-out shows its text when pointed at,
/// focused or tapped; a panel (a container of those) only from the "?" beside its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Control,
    Readout,
    Panel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Explanation {
    /// A `data-testid`; one ending in `-*` stands for every id that adds one more
    /// `-segment` to it (`run-name-*`: `run-name-3`).
    pub id: &'static str,
    pub kind: Kind,
    /// One sentence: what it is.
    pub text: &'static str,
    /// The formula it shows or the reason it is there.
    pub why: &'static str,
}

const fn e(id: &'static str, kind: Kind, text: &'static str, why: &'static str) -> Explanation {
    Explanation {
        id,
        kind,
        text,
        why,
    }
}

use Kind::{Control as C, Panel as P, Readout as R};

/// Every explained element of the page.
pub const EXPLANATIONS: &[Explanation] = &[
    // The page and its messages.
    e("playground", P, "A variational autoencoder (VAE) with a 2-D latent space, trained and explored in this page.", "It maximises ELBO(x) = E_q[ln p(x|z)] − KL(q(z|x) ‖ p(z)), a lower bound on ln p(x)."),
    e("dataset", C, "Which images the model learns: MNIST digits, Fashion-MNIST clothes, binarised MNIST, or your own.", "Each built-in set opens its own pretrained model; binarised pixels make ln p(x) a true log-probability."),
    e("backend-select", C, "Where training runs: WebGPU (the graphics card) or the CPU, switchable at any time.", "Switching moves the weights, so training continues where it was."),
    e("backend", R, "The device training runs on now, with the graphics adapter's name.", "A lost WebGPU device falls back to the CPU from the last weights."),
    e("status", R, "What the page is doing: loading, ready, training, and on which training set.", "Loading fetches only this site's own files."),
    e("notice", R, "A problem the page met (a diverged run, a refused file) and what it did about it.", "Bad input is refused with the reason; the current model and data stay."),
    e("url-notice", R, "Settings in the link that were not used, and why.", "A malformed or out-of-range value keeps its default."),
    e("dismiss", C, "Dismiss this message.", "It comes back only if the problem happens again."),
    e("attribution", R, "Who made the datasets, and their licences.", "MNIST: CC BY-SA 3.0; Fashion-MNIST: MIT."),
    // The tour.
    e("tour-start", C, "A guided tour of the page in 8 stops: latent map, sliders, decoded image, training, chart, rate–distortion plane, inspector, maths.", "Enter or Next moves on, Escape ends it; a finished tour does not offer itself again."),
    e("tour-next", C, "The tour's next stop (the last one ends it).", "Keyboard: Enter or Space on this button; the tour keeps focus here."),
    e("tour", P, "The guided tour's card: what this stop of the page shows.", "Back and Next move between stops; Skip or Escape ends the tour."),
    e("tour-back", C, "The tour's previous stop.", "Nothing on the page changes; only the card and its mark move."),
    e("tour-stop", C, "Leave the tour now; it counts as done.", "Escape does the same; start it again from the Tour button or with ?tour in the link."),
    // Decoded image and sliders.
    e("decoded-panel", P, "The decoder's image for the latent point z the sliders or the map choose.", "Decoding is p(x|z): the network f(z) gives each of the 784 pixels' mean."),
    e("decoded", R, "The 28×28 image the decoder draws for the current z.", "Each pixel is the decoder's mean, e.g. σ(logit) for the Bernoulli decoder."),
    e("latent-space", P, "The latent space: where the encoder puts each image, and where z is.", "q(z|x) = N(μ(x), diag σ(x)²); the prior p(z) = N(0, I) pulls every code towards the origin."),
    e("z1", C, "The first latent coordinate z₁ (−4 to 4); arrow keys step it.", "The prior p(z) = N(0, I) puts most mass within ±2."),
    e("z2", C, "The second latent coordinate z₂ (−4 to 4); arrow keys step it.", "The prior p(z) = N(0, I) puts most mass within ±2."),
    e("z1-value", R, "z₁ as a number.", "z = (z₁, z₂) is what the decoder reads."),
    e("z2-value", R, "z₂ as a number.", "z = (z₁, z₂) is what the decoder reads."),
    // The latent map.
    e("latent-map", C, "2,000 test images placed at their encoder means μ(x), coloured by class; click or drag to move z.", "Each dot is the centre of q(z|x) = N(μ(x), diag σ(x)²) for one image."),
    e("latent-marker", R, "The current z, drawn over the map.", "The decoded image shows what the decoder makes of this point."),
    e("zoom-in", C, "Zoom the map in around the current z.", "A narrow posterior is resolved by computing on a smaller region."),
    e("zoom-out", C, "Zoom the map out by two.", "The map shows the region the heat map and manifold are computed on."),
    e("zoom-whole", C, "Show the whole map, −4 to 4 in both coordinates.", "Nearly all of the prior's mass lies in this square."),
    e("zoom-fit", C, "Frame the inspected input's q(z|x) out to 4σ.", "Shows the ellipse and the true posterior at a readable scale."),
    e("map-range", R, "The region the map shows.", "Written as ranges of z₁ and z₂."),
    // Training.
    e("training", P, "Train the VAE here: buttons, settings and the latest batch's numbers.", "Training minimises recon + β·KL, averaged over batches of images, with Adam."),
    e("train", C, "Start or pause training in a background worker.", "Each step lowers recon + β·KL averaged over a batch, by Adam on its gradient."),
    e("step", C, "Train one step: one batch, one gradient update.", "One sample z = μ + σ·ε per image (the reparameterisation) lets the gradient reach μ and σ."),
    e("reset", C, "Start again from fresh random weights (hidden size and seed below).", "Starts a new run, so the chart compares it with the others."),
    e("restore", C, "Go back to the pretrained model for this dataset and decoder.", "Trained for 10 epochs with the command-line tool, same code as here."),
    e("lr", C, "The learning rate: how large each step of Adam is.", "Too large and the loss diverges: the page then restores the last finite weights."),
    e("beta", C, "β weights the KL term: training minimises recon + β·KL.", "β > 1 pulls codes towards the prior (less rate, more distortion); β = 1 is the true bound."),
    e("batch", C, "How many images each step averages over.", "The loss is the batch mean of −ELBO(x) terms; larger batches mean smoother gradients."),
    e("decoder", C, "The likelihood p(x|z): Bernoulli (binary cross-entropy), Gaussian with fixed σₓ, or continuous Bernoulli.", "Gaussian: −ln p(x|z) = D/2 ln(2πσₓ²) + ‖x − f(z)‖²/(2σₓ²), squared error up to a constant."),
    e("sigma", C, "The Gaussian decoder's fixed pixel noise σₓ.", "It scales the squared error by 1/(2σₓ²): the same trade-off as β = 2σₓ²."),
    e("hidden", C, "Units in each hidden layer, used by the next Reset.", "Encoder 784 → H → (μ, ln σ²); decoder 2 → H → 784."),
    e("seed", C, "The random seed of the next Reset: initial weights, batches and noise.", "The same seed gives the same run on every device."),
    e("training-set", C, "Train on the first 10,000 images or all 60,000 (a larger download).", "More data: less overfitting, the same test split."),
    e("stop-rule", C, "Pause by itself after some epochs, steps, or once the test −ELBO reaches a target.", "So runs can be compared at equal training."),
    e("stop-value", C, "The number the stop rule waits for.", "Epochs, steps, or a test −ELBO in nats."),
    e("metric-workers", R, "How many workers computed the latest chunk of training.", "On the CPU each computes the gradient of its share of every batch; the shares are summed, then one Adam step is taken."),
    e("workers", C, "How many workers train on the CPU path: auto (the cores less one, for batches of 1,024; below that one worker is faster) or 1 to 8.", "Data parallelism: the batch is cut into shares; the result is the same up to rounding, only the speed changes."),
    e("kernel", R, "Which matrix-product kernel runs the dense layers on WebGPU, and how it was chosen.", "Both are timed on this adapter's products the first time; the faster is kept and remembered."),
    e("kernel-select", C, "Choose the WebGPU matrix-product kernel: measured (auto), ours, or Burn's.", "Either gives the same numbers up to rounding; only the speed differs."),
    e("metric-step", R, "Training steps taken so far in this run.", "One step = one batch = one gradient update."),
    e("metric-epoch", R, "Passes over the training set so far.", "epochs = steps × batch size / training images."),
    e("metric-speed", R, "Training images per second.", "Measured inside the worker, over recent steps."),
    e("metric-kl", R, "KL(q(z|x) ‖ p(z)), the latest batch's mean, in nats per image.", "Closed form: Σⱼ −ln σⱼ + (σⱼ² + μⱼ² − 1)/2."),
    e("metric-recon", R, "Reconstruction −E_q[ln p(x|z)], the latest batch's mean, in nats per image.", "Estimated with one z = μ + σ·ε per image."),
    e("metric-elbo", R, "−ELBO = reconstruction + KL, the latest batch's mean, in nats per image.", "Reported at β = 1 whatever β trains, so runs stay comparable."),
    // The chart and runs.
    e("loss-chart", P, "The loss of every visible run: the rate–distortion plane and the curves against step.", "Lower is better; −ELBO = reconstruction + KL."),
    e("chart-rd", C, "The rate–distortion plane: KL (rate) across, reconstruction (distortion) up; each run's path and end.", "Grey lines join points of equal −ELBO = D + R; each β gives a different point."),
    e("chart-elbo", C, "−ELBO and reconstruction against training step; arrow keys read out rows.", "Their vertical distance is the KL."),
    e("chart-kl", C, "KL against training step; arrow keys read out rows.", "How much information the codes carry about x, in nats."),
    e("chart-readout", R, "The values of the row under the pointer or keyboard focus.", "Exact numbers of one history row."),
    e("chart-empty", R, "Shown while there is nothing to chart yet.", "Train or Step adds the first points."),
    e("chart-pretrained", R, "The run shown is the one that made the pretrained model.", "Its history ships beside its weights."),
    e("chart-log-y", C, "Draw the chart's loss axis on a log scale.", "Early losses are hundreds of nats, later changes a few: a log scale shows both."),
    e("chart-x", C, "What the x-axis counts: training steps or images seen.", "Images seen = steps × batch size, so runs of different batch sizes line up."),
    e("export-chart", C, "Download the chart (legend and the three plots) as an SVG picture.", "For a write-up: a vector file in the theme's colours; nothing leaves the page otherwise."),
    e("export-chart-png", C, "Download the chart as a PNG, drawn at twice its size.", "For places that take no SVG."),
    e("chart-log-note", R, "Why a plot stayed linear though log y is ticked.", "The log of zero or a negative number is undefined (the continuous Bernoulli's reconstruction is negative)."),
    e("chart-export-error", R, "Why the chart was not downloaded.", "Said, and nothing on the page changes."),
    e("runs", P, "Every training run kept: its settings, final numbers, show/hide, CSV, continue, delete.", "Runs differ in one setting at a time, so the chart compares them."),
    e("run-name-*", C, "This run's name (editable).", "Shown in the chart's labels."),
    e("run-visible-*", C, "Show or hide this run in the chart.", "Hidden runs stay in the list."),
    e("run-final-*", R, "This run's final −ELBO = reconstruction + KL.", "From its last test-split point, else its last training row."),
    e("run-csv-*", C, "Download this run's history as CSV.", "The same columns as the command-line tool's --history."),
    e("run-continue-*", C, "Go on training from this run's last weights.", "Starts a new run from them."),
    e("run-delete-*", C, "Remove this run from the list.", "At most 20 runs are kept; the oldest go first."),
    e("export-runs", C, "Download every run as one JSON file.", "Loads back with Load runs."),
    e("import-runs", C, "Load runs from a JSON file.", "A malformed file is refused with the reason; the list stays."),
    e("runs-memory", R, "How many runs are kept and the memory they take.", "Histories are small; kept weights are 3 MB each."),
    e("sweep", C, "Train one run per β value, one after another, from the same seed and data.", "Their end points trace the rate–distortion frontier."),
    e("sweep-betas", C, "The sweep's β values, as a comma list.", "2 to 8 values; each gives one point on the plane."),
    e("sweep-planned", R, "The β sweep this page's link set up.", "A link can name a sweep (sweep=, sweep-epochs=); it runs when you press the button."),
    e("sweep-epochs", C, "How many epochs each sweep run trains.", "Equal training, so only β differs."),
    // Slow motion.
    e("slowmo", C, "Slow motion: play one training step in stages.", "Batch drawn → encoded to (μ, σ) → z = μ + σ·ε → decoded → loss terms → gradient step."),
    e("slowmo-next", C, "Slow motion plays one training step in stages: go to the next stage.", "The stages are the same computation as a normal step."),
    e("slowmo-back", C, "Slow motion plays one training step in stages: go back a stage.", "Nothing is recomputed; the stage is shown again."),
    e("slowmo-stage", R, "Slow motion plays one training step in stages: the stage shown now.", "Batch, encode, sample z = μ + σ·ε, decode, loss, update."),
    e("slowmo-panel", P, "Slow motion: one training step of 8 images, stage by stage, each image's numbers on a card.", "The same step function as Train: its weights after it are the same as a normal step's."),
    e("slowmo-play", C, "Play the stages one a second, going on into further steps until paused.", "Watching several steps shows μ moving toward where the loss is lower."),
    e("slowmo-exit", C, "Leave slow motion; a step taken but not yet shown is applied.", "Nothing computed is lost."),
    e("slowmo-loss", R, "This step's loss: reconstruction + β·KL, averaged over the 8 images, as numbers and a bar.", "−ELBO = E_q[−ln p(x|z)] + KL(q(z|x) ‖ p(z))."),
    // Inside the bound.
    e("inspect-panel", P, "Inside the bound: pick or draw one input x and see its posterior, ln p(x), its ELBO and the gap.", "ln p(x) = ELBO(x) + KL(q(z|x) ‖ p(z|x)): the gap is how far q is from the true posterior."),
    e("example-*", C, "Inspect this test image.", "Its q(z|x) is drawn on the map beside the true posterior."),
    e("draw-pad", C, "Draw a digit to inspect (mouse, pen or touch).", "It is centred and scaled the way MNIST digits were."),
    e("draw-undo", C, "Undo the last stroke.", "The inspection follows the drawing."),
    e("draw-clear", C, "Clear the drawing.", "Start a new one."),
    e("inspect-input", R, "The input x being inspected.", "A test image or your drawing, as 28×28 pixels."),
    e("inspect-recon", R, "The decoder's image at the mean of q(z|x).", "f(μ(x)): what the model makes of x."),
    e("inspect-sample-*", R, "A decoded sample z ~ q(z|x).", "How uncertain the code is shows as variation between samples."),
    e("evidence", P, "This input's evidence, its bound and the gap between them, in nats.", "ln p(x) = ELBO + gap; gap = approximation + amortisation."),
    e("ev-logpx", R, "ln p(x) by quadrature on a grid of z (possible in 2-D).", "ln ∫ p(x|z) p(z) dz, by log-sum-exp over the grid."),
    e("ev-iwae", R, "ln p(x) estimated by importance sampling with q(z|x) (IWAE, K samples).", "ln (1/K) Σₖ p(x|zₖ) p(zₖ)/q(zₖ|x); tightens as K grows."),
    e("ev-elbo", R, "ELBO(x) for the encoder's q(z|x).", "E_q[ln p(x|z)] − KL(q(z|x) ‖ p(z))."),
    e("ev-gap", R, "The gap ln p(x) − ELBO(x).", "= KL(q(z|x) ‖ p(z|x)) ≥ 0: what the bound misses."),
    e("ev-elbo-star", R, "The ELBO of q*, the best diagonal Gaussian for this x.", "q* = argmax over (μ, ln σ) of ELBO(x), found by Newton's method."),
    e("ev-elbo-full", R, "The ELBO of the best full-covariance Gaussian for this x.", "A tilted ellipse can fit a correlated posterior better."),
    e("ev-gap-approx", R, "The approximation gap: what no diagonal Gaussian closes.", "ln p(x) − ELBO(q*)."),
    e("ev-gap-amort", R, "The amortisation gap: what the encoder misses of the best Gaussian.", "ELBO(q*) − ELBO(q_φ)."),
    e("ev-recon", R, "This input's reconstruction term.", "−E_q[ln p(x|z)], on a 64×64 grid of q."),
    e("ev-kl", R, "This input's KL to the prior.", "Σⱼ −ln σⱼ + (σⱼ² + μⱼ² − 1)/2."),
    e("ev-reading", R, "Which density ln p(x) is for this decoder and data.", "The Bernoulli on grey pixels gives a score, not a log-likelihood."),
    e("bound-bar", R, "−ELBO as reconstruction + KL, beside −ln p(x) + the gap.", "−ELBO = −ln p(x) + gap: the bar's two rows are equally long."),
    e("toggle-heat", C, "Show the true posterior p(z|x) as a heat map on the map.", "p(z|x) = p(x|z) p(z) / p(x), computed on a 64×64 grid."),
    e("toggle-ellipse", C, "Show q(z|x)'s 1σ and 2σ ellipses on the map.", "q(z|x) = N(μ, diag σ²): axis-aligned ellipses."),
    e("toggle-q-star", C, "Show q*'s ellipses: the best diagonal Gaussian for this x.", "The distance from q to q* is the amortisation gap."),
    e("toggle-manifold", C, "Draw the decoded manifold under the map.", "An n×n grid of decoded images over the region shown."),
    e("manifold-n", C, "The manifold's grid size n (n×n images).", "Up to 30."),
    e("interp-a", C, "Use the inspected input's mean as end A of a walk.", "The walk decodes points on the line from A to B."),
    e("interp-b", C, "Use the inspected input's mean as end B of a walk.", "The walk decodes points on the line from A to B."),
    e("interp-play", C, "Walk z from A to B and decode along the way.", "z = (1 − t)·μ_A + t·μ_B."),
    e("interp-strip", R, "The decoded images on the line from A to B.", "A smooth strip shows a continuous latent space."),
    // The maths.
    e("maths-panel", P, "The derivation's key lines with this page's numbers substituted.", "ln p(x) = ELBO + gap; ELBO = E_q[ln p(x|z)] − KL; the KL's closed form; the decoder's term."),
    e("maths-input", R, "Which input the formulas' numbers are for.", "Pick or draw another in Inside the bound."),
    // Your data.
    e("own-data", P, "Your own dataset: draw examples or add image files, by class, and train on them.", "Each image goes through MNIST's pipeline: grey, centred, 20×20 in a 28×28 frame."),
    e("own-class", C, "The class new drawings go to.", "Up to 10 classes."),
    e("own-class-name", C, "The picked class's name.", "Shown in the map's legend."),
    e("own-add-class", C, "Add a class.", "Up to 10."),
    e("own-draw", C, "Draw an example of the picked class.", "Centred and scaled like MNIST digits."),
    e("own-pad-undo", C, "Undo the last stroke on the pad.", "Nothing is added until Add."),
    e("own-pad-clear", C, "Clear the pad.", "Nothing is added until Add."),
    e("own-add", C, "Add the drawing to the picked class.", "It joins the set kept in this browser."),
    e("own-files", C, "Add image files to the picked class, or a ZIP (its sub-folders become the classes).", "Decoded by the browser, then MNIST's pipeline; files and ZIPs can be dropped on the panel too."),
    e("own-folder", C, "Add a folder: its sub-folders become the classes.", "Files that are not images are skipped with why."),
    e("own-polarity", C, "Which way the images' ink runs.", "Detect reads the border: dark-on-light images are inverted."),
    e("own-count", R, "Images in your set.", "At most 10,000."),
    e("own-message", R, "What the last import or edit said.", "Refused files are named with the reason."),
    e("own-class-*", R, "The images of one class; a click on one removes it.", "About a fifth of each class is held out for testing."),
    e("own-thumb-*", C, "One image of your set; click to remove it.", "Undo brings it back."),
    e("own-undo", C, "Undo the last edit of the set.", "Additions, removals and renames."),
    e("own-clear", C, "Remove every image (the classes stay).", "Undo brings them back."),
    e("own-export", C, "Download the set as a .vaed file.", "It loads back here, or trains with the command-line tool."),
    e("own-import", C, "Load a .vaed dataset file.", "A malformed file is refused with the reason; the set stays."),
    e("own-use", C, "Put your set on screen and train on it.", "A seeded split holds out a test image of each class."),
    // Keep and share.
    e("keep", P, "Keep the model: download it, load one, or remember it in this browser.", "Weights are a .vaew file: a JSON header, raw f32 tensors and a CRC-32."),
    e("download", C, "Download the current model as a .vaew file.", "Raw f32 weights with a header and a CRC-32."),
    e("load-weights", C, "Load a .vaew weights file.", "A bad file is refused with the reason; the current model stays."),
    e("remember", C, "Remember the trained model in this browser (IndexedDB).", "Saved on pause and every 15 s while training."),
    e("remembered", R, "What this browser remembers.", "The next visit opens it."),
    e("share", P, "Share this view as a link, or embed chosen panels in another page.", "The link carries the state; an embed talks to its host over postMessage."),
    e("copy-link", C, "Copy a link to this exact view.", "The address bar always holds the state."),
    e("copy-embed", C, "Copy an iframe for the ticked panels.", "The frame reports its height to your page."),
    e("embed-code", R, "The embed code to paste into a page.", "An iframe and a few lines that follow its height."),
    e("embed-panel-*", C, "Include this panel in the embed.", "An embed shows only the panels ticked."),
    e("embed-host", C, "Your site's origin, allowed to drive the frame.", "Only this origin's postMessage commands are taken."),
    e("embed-host-error", R, "Why the origin typed was refused.", "An origin is scheme://host[:port]."),
];

/// The explanation of a `data-testid`: its own entry, else its pattern's (`run-name-3` →
/// `run-name-*`).
pub fn explain(id: &str) -> Option<&'static Explanation> {
    EXPLANATIONS.iter().find(|x| x.id == id).or_else(|| {
        let (stem, last) = id.rsplit_once('-')?;
        if last.is_empty() {
            return None;
        }
        let pattern = format!("{stem}-*");
        EXPLANATIONS.iter().find(|x| x.id == pattern)
    })
}

/// The id of the hidden element that holds an explanation's text (`aria-describedby` points
/// there): `explain-` + the entry's id, `*` spelt `n`.
pub fn text_id(x: &Explanation) -> String {
    format!("explain-{}", x.id.replace('*', "n"))
}
