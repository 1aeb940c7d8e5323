/**
 * Which WebGPU adapters are software (a CPU pretending to be a GPU), and a readable name for every
 * adapter. Dawn flags only some of them: lavapipe on Vulkan sets `isFallbackAdapter`, but llvmpipe
 * behind Dawn's OpenGL path does not, and there it even reports an empty vendor and architecture.
 * So we look at every string the adapter gives, not one flag.
 */

/** The adapter fields Dawn fills (any may be empty, `type` exists only in newer Dawn builds). */
export interface RawAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  type?: string;
  isFallbackAdapter?: boolean;
}

/** Mesa's and Google's CPU rasterisers, by the name they put in the adapter strings. */
const SOFTWARE_NAMES = ["llvmpipe", "lavapipe", "swiftshader", "softpipe"] as const;

/**
 * Why this adapter is software, as a short name for a one-line note (`llvmpipe`, `cpu adapter`),
 * or null for a real GPU.
 */
export function softwareAdapter(info: RawAdapterInfo): string | null {
  const fields = [info.vendor, info.architecture, info.device, info.description, info.type].map((s) =>
    (s ?? "").toLowerCase(),
  );
  const text = fields.join(" ");
  const named = SOFTWARE_NAMES.find((n) => text.includes(n));
  if (named) return named;
  // Dawn's AdapterType::CPU, and drivers that describe themselves as "... (CPU)".
  if (fields.some((f) => /\bcpu\b/.test(f))) return "cpu adapter";
  if (info.architecture?.toLowerCase() === "software" || info.isFallbackAdapter)
    return info.description || "fallback adapter";
  return null;
}

const KNOWN_VENDORS = [
  "nvidia",
  "amd",
  "intel",
  "apple",
  "qualcomm",
  "arm",
  "imagination",
  "microsoft",
  "google",
  "mesa",
];

/**
 * The vendor to report: Dawn's, or else one named in the description or device (OpenGL adapters
 * leave `vendor` empty), or else "unknown" — never an empty string in a run's meta.
 */
export function adapterVendor(info: RawAdapterInfo): string {
  if (info.vendor) return info.vendor;
  const text = `${info.description ?? ""} ${info.device ?? ""}`.toLowerCase();
  return KNOWN_VENDORS.find((v) => new RegExp(`\\b${v}\\b`).test(text)) ?? "unknown";
}

/** The adapter to use from those found (native path first): the first real GPU, else the first. */
export function chooseAdapter<T extends { info: RawAdapterInfo }>(found: T[]): T | undefined {
  return found.find((a) => softwareAdapter(a.info) === null) ?? found[0];
}
