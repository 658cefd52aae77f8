import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { tauriApi, type Api } from "./api";
import { App } from "./App";
import "./styles.css";
import { markOnce } from "./lib/timing";

markOnce("boot");

const root = document.getElementById("root");
if (!root) {
  throw new Error("index.html has no #root element");
}

/**
 * Inside Tauri the real commands; under `npm run dev` in a plain browser (or a build made with
 * VITE_DEMO=1, for screenshots), the demo data. Production builds drop this branch and the
 * demo module with it.
 */
async function chooseApi(): Promise<Api> {
  if ((import.meta.env.DEV || import.meta.env.VITE_DEMO === "1") && !("__TAURI_INTERNALS__" in window)) {
    // ?as=staff|manager|admin starts signed in (for screenshots); the PINs are 1111/2222/3333.
    const { createDemoApi } = await import("./dev/demoApi");
    const names = { staff: "Sam Front Desk", manager: "Morgan Manager", admin: "Alex Admin" } as Record<string, string>;
    const as = new URLSearchParams(location.search).get("as");
    return createDemoApi({ signedInAs: (as && names[as]) || null });
  }
  return tauriApi;
}

void chooseApi().then((api) =>
  createRoot(root).render(
    <StrictMode>
      <App api={api} />
    </StrictMode>,
  ),
);
