// ⌘K (macOS) or Ctrl+K (elsewhere) opens the command palette from every page.
import { Suspense, useEffect, useState } from "react";
import { later } from "../app/later.ts";

const CommandPalette = later(() => import("./CommandPalette.tsx").then((m) => m.CommandPalette));

export function PaletteShortcut() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key.toLowerCase() === "k" && (event.metaKey || event.ctrlKey) && !event.altKey) {
        event.preventDefault();
        setOpen((was) => !was);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  return (
    <Suspense fallback={null}>
      <CommandPalette open={open} onOpenChange={setOpen} />
    </Suspense>
  );
}
