import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@tessera/shared", "@tessera/runner"],
};

export default config;
