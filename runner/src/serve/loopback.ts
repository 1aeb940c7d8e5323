/** True for 127.0.0.0/8, ::1 and localhost (the dashboard's rule, dashboard/serve/auth.ts). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
