"use client";

import { type FormEvent, startTransition, useActionState, useRef, useState } from "react";

/**
 * `useActionState` for a `<form>` driven by a server action. Spread `form` on the `<form>`: before
 * hydration (or without JavaScript) the browser posts the form to the action itself; once hydrated a
 * submit dispatches the action without React's automatic form reset, so what the person typed stays
 * after an error. `check` may refuse a submission in the browser first (return false), or complete its data
 * (e.g. a card's payment method, made in the browser), before it is sent. `submitted` is the
 * data of the last submission sent (with the pressed button's name and value).
 */
export function useActionForm<S>(
  action: (state: Awaited<S>, form: FormData) => S | Promise<S>,
  initial: Awaited<S>,
  check?: (form: FormData) => boolean | Promise<boolean>,
) {
  const [state, dispatch, pending] = useActionState(action, initial);
  const [submitted, setSubmitted] = useState<FormData>();
  const checking = useRef(false);
  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending || checking.current) return;
    const data = new FormData(e.currentTarget, (e.nativeEvent as SubmitEvent).submitter);
    checking.current = true;
    try {
      if (check && !(await check(data))) return;
    } finally {
      checking.current = false;
    }
    setSubmitted(data);
    startTransition(() => dispatch(data));
  }
  return { state, pending, submitted, form: { action: dispatch, onSubmit } };
}
