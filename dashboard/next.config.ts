import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@tessera/shared"],
};

export default config;
