import type { ReactNode } from "react";
import Link from "next/link";
import { Providers } from "./providers";
import "./globals.css";

export const metadata = { title: "Tessera", description: "Live fine-tuning experiments" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <Link href="/" className="brand">
            Tessera
          </Link>
          <nav>
            <Link href="/">Runs</Link>
            <Link href="/sweeps">Sweeps</Link>
            <Link href="/configs">Configs</Link>
            <Link href="/launch">Launch</Link>
            <Link href="/queue">Queue</Link>
          </nav>
        </header>
        <main className="page">
          <Providers>{children}</Providers>
        </main>
      </body>
    </html>
  );
}
