import { describe, expect, it } from "vitest";
import { adapterVendor, chooseAdapter, softwareAdapter } from "./software";

// Adapter infos as Dawn reports them (the llvmpipe ones copied from Mesa 25 on Debian 12).
const llvmpipeGl = {
  vendor: "",
  architecture: "",
  device: "llvmpipe-llvm-15-0-6-256-bits-",
  description: "OpenGL version 4.5 (Core Profile) Mesa 25.0.7-2~bpo12+1",
  isFallbackAdapter: false,
};
const lavapipe = {
  vendor: "mesa",
  architecture: "software",
  device: "llvmpipe-llvm-15-0-6-256-bits-",
  description: "llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1",
  isFallbackAdapter: true,
};
const nvidia = {
  vendor: "nvidia",
  architecture: "ada",
  device: "NVIDIA GeForce RTX 4090",
  description: "NVIDIA: 550.54.14 550.54.14.0",
  isFallbackAdapter: false,
};

describe("softwareAdapter", () => {
  it("names llvmpipe behind Dawn's OpenGL path, which Dawn does not flag as a fallback", () => {
    expect(softwareAdapter(llvmpipeGl)).toBe("llvmpipe");
  });
  it("names the CPU rasterisers by any field", () => {
    expect(softwareAdapter(lavapipe)).toBe("llvmpipe");
    expect(softwareAdapter({ description: "Vulkan lavapipe" })).toBe("lavapipe");
    expect(softwareAdapter({ vendor: "google", device: "SwiftShader Device (Subzero)" })).toBe("swiftshader");
    expect(softwareAdapter({ description: "Gallium softpipe" })).toBe("softpipe");
  });
  it("takes an adapter type or a description that says CPU as software", () => {
    expect(softwareAdapter({ vendor: "acme", type: "CPU" })).toBe("cpu adapter");
    expect(softwareAdapter({ description: "Acme Rasteriser (CPU)" })).toBe("cpu adapter");
    expect(softwareAdapter({ vendor: "acme", architecture: "software", description: "acme soft" })).toBe("acme soft");
  });
  it("leaves real GPUs alone (a word containing 'cpu' is not enough)", () => {
    expect(softwareAdapter(nvidia)).toBeNull();
    expect(
      softwareAdapter({ vendor: "amd", device: "Radeon RX 7900 XTX", description: "RADV NAVI31 gpucpuless" }),
    ).toBeNull();
  });
});

describe("adapterVendor", () => {
  it("is never empty: Dawn's vendor, else one named in the description, else unknown", () => {
    expect(adapterVendor(nvidia)).toBe("nvidia");
    expect(adapterVendor(llvmpipeGl)).toBe("mesa");
    expect(adapterVendor({ vendor: "", description: "", device: "" })).toBe("unknown");
  });
});

describe("chooseAdapter", () => {
  const vk = (info: object) => ({ driver: "default", info });
  const gl = (info: object) => ({ driver: "opengl", info });
  it("takes a real GPU on either path over a software one, else the native path's adapter", () => {
    expect(chooseAdapter([vk(lavapipe), gl(nvidia)])).toEqual(gl(nvidia));
    expect(chooseAdapter([vk(nvidia), gl(llvmpipeGl)])).toEqual(vk(nvidia));
    expect(chooseAdapter([vk(lavapipe), gl(llvmpipeGl)])).toEqual(vk(lavapipe));
    expect(chooseAdapter([])).toBeUndefined();
  });
});
