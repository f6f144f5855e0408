import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // The app lives inside the API's repository: do not look above it for a workspace root.
  turbopack: { root: __dirname },
};

export default nextConfig;
