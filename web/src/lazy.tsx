import type { ComponentType, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorNotice, Loading } from './ui';

/** A screen loaded on first use (its own chunk: the chart library stays out of the first screen). */
export function Lazy<P extends object>(props: { load: () => Promise<ComponentType<P>>; props: P }): JSX.Element {
  const [Screen, setScreen] = useState<ComponentType<P> | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    props.load().then((c) => setScreen(() => c), setError);
  }, []);
  if (error) return <ErrorNotice error={error} />;
  if (!Screen) return <Loading />;
  return <Screen {...props.props} />;
}
