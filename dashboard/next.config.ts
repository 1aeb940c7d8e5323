import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@tessera/shared"],
  // The run index's native SQLite binding is loaded by Node at run time, never bundled.
  serverExternalPackages: ["better-sqlite3"],
};

export default config;
