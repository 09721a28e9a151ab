// Runs before the page's module: says so on the page, instead of leaving it blank, when this
// browser cannot run the playground (no WebAssembly, or none with SIMD, which the build uses:
// Chrome and Edge 91+, Firefox 89+, Safari 16.4+), or when the module fails to start.
(() => {
  // The smallest module using a SIMD instruction (v128.const; i8x16.popcnt), as wasm-feature-detect checks.
  const SIMD = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);
  const say = (why) => {
    const show = () => {
      if (document.querySelector('[data-testid=playground]') || document.getElementById('unsupported')) return;
      const p = document.createElement('p');
      p.id = 'unsupported';
      p.setAttribute('role', 'alert');
      p.textContent = `The VAE playground cannot run in this browser: ${why}. It runs in current Chrome, Edge, Firefox and Safari (16.4 or newer).`;
      document.body.prepend(p);
    };
    if (document.body) show(); else addEventListener('DOMContentLoaded', show);
  };
  let supported = false;
  try {
    supported = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD);
  } catch { /* no WebAssembly */ }
  if (!supported) {
    say(typeof WebAssembly === 'object' ? 'it lacks WebAssembly SIMD' : 'it has no WebAssembly');
    return;
  }
  // The module failed to load or start before the page appeared.
  const failed = (e) => say(`the page's WebAssembly did not start (${String((e && (e.reason || e.message)) || e).slice(0, 200)})`);
  addEventListener('unhandledrejection', failed);
  addEventListener('error', failed);
})();
