// Loaded by the train worker (importScripts) before it starts Burn on WebGPU.
// When the WebGPU device is lost, reads in flight fail, and Burn's wgpu runtime panics on a
// failed read, which would end the worker before it can say why. Make such a read wait forever
// instead: its chunk is abandoned, and the device-lost callback tells the page, which moves
// training to the CPU.
(() => {
  if (!self.GPUBuffer || GPUBuffer.prototype.mapAsync.__guarded) return;
  const mapAsync = GPUBuffer.prototype.mapAsync;
  const guarded = function (...args) {
    return mapAsync.apply(this, args).catch((e) => {
      console.warn(`WebGPU read abandoned: ${e && e.message}`);
      return new Promise(() => {});
    });
  };
  guarded.__guarded = true;
  GPUBuffer.prototype.mapAsync = guarded;
})();
