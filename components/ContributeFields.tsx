import { Field } from "./Field";
import { formatMoney } from "./format";

export interface SandboxMethod {
  id: string;
  label: string;
}

/** Preset amount buttons (minor units); the one equal to the typed amount is pressed. */
export function PresetAmounts(p: { presets: number[]; currency: string; amount?: number; onPick: (amount: number) => void }) {
  return (
    <fieldset className="preset-amounts">
      <legend className="visually-hidden">Suggested amounts</legend>
      {p.presets.map((a) => (
        <button
          key={a}
          type="button"
          className="btn btn-ghost btn-small preset"
          aria-pressed={p.amount === a}
          onClick={() => p.onPick(a)}
        >
          {formatMoney(a, p.currency)}
        </button>
      ))}
    </fieldset>
  );
}

/** Sandbox: a select of its test cards. Stripe: a PaymentMethod ID (Stripe Elements is not wired up yet). */
export function PaymentMethodField(p: {
  methods: SandboxMethod[];
  value: string;
  error?: string;
  onChange: (v: string) => void;
}) {
  if (p.methods.length > 0) {
    return (
      <Field
        id="contribute-method"
        label="Payment method"
        error={p.error}
        hint="Sandbox: no real money moves; these are Stripe's test cards."
      >
        <select name="paymentMethod" value={p.value} onChange={(e) => p.onChange(e.target.value)}>
          {p.methods.map((m) => (
            <option key={m.id} value={m.id}>
              {m.label}
            </option>
          ))}
        </select>
      </Field>
    );
  }
  return (
    <Field
      id="contribute-method"
      label="Payment method"
      error={p.error}
      hint="A Stripe PaymentMethod ID (pm_…); set STRIPE_PUBLISHABLE_KEY to take cards with Stripe Elements."
    >
      <input
        type="text"
        name="paymentMethod"
        autoComplete="off"
        spellCheck={false}
        placeholder="pm_…"
        value={p.value}
        onChange={(e) => p.onChange(e.target.value)}
      />
    </Field>
  );
}
