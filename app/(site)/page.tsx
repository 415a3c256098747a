import Link from "next/link";
import { config } from "@/lib/config";

export const dynamic = "force-dynamic";

export default function HomePage() {
  const passwordLogin = config().passwordLogin;
  return (
    <>
      <section className="hero">
        <h1>Raise money for what matters</h1>
        <p className="lead">
          Crowdfund helps you tell your story, set a goal and share a page with the people who want to help — for a neighbour, a
          school project, a community garden or a cause close to your heart.
        </p>
        <div className="actions">
          <Link href="/campaigns/new" className="btn btn-primary btn-large">
            Start a campaign
          </Link>
          <Link href="/dashboard" className="btn btn-secondary btn-large">
            Go to your dashboard
          </Link>
        </div>
      </section>

      <section className="features" aria-label="How it works">
        <div className="card feature">
          <h2>1. Tell your story</h2>
          <p>Give your campaign a title, explain why it matters and pick a goal in your currency.</p>
        </div>
        <div className="card feature">
          <h2>2. Publish and share</h2>
          <p>Keep it as a private draft until you are ready, then publish it and share the link.</p>
        </div>
        <div className="card feature">
          <h2>3. Track progress</h2>
          <p>
            Follow what you have raised from your dashboard, or automate with the <Link href="/docs">JSON API</Link>.
          </p>
        </div>
      </section>

      {passwordLogin && (
        <aside className="notice" aria-label="Demo accounts">
          <strong>Demo users:</strong> alice@example.com / bob@example.com / carol@example.com (admin), password:{" "}
          <code>password</code>. <Link href="/signin">Sign in</Link>
        </aside>
      )}
    </>
  );
}
