export default function Home() {
  return <main>Tessera dashboard</main>;
}
