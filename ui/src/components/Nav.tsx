import type { NavItem, ScreenId } from "../lib/roles";

export function Nav({ items, current, onGo }: { items: readonly NavItem[]; current: ScreenId; onGo: (id: ScreenId) => void }) {
  return (
    <nav className="nav" aria-label="Screens">
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            <a
              href={`#/${item.id}`}
              className={item.id === current ? "nav-link active" : "nav-link"}
              aria-current={item.id === current ? "page" : undefined}
              data-testid={`nav-${item.id}`}
              onClick={(event) => {
                event.preventDefault();
                onGo(item.id);
              }}
            >
              <span className="nav-label">{item.label}</span>
              <kbd className="nav-key" title={`Alt+${item.digit}, or g then ${item.letter}`}>
                {item.digit}
              </kbd>
            </a>
          </li>
        ))}
      </ul>
      <p className="nav-help">
        <kbd>/</kbd> search guests
        <br />
        <kbd>Alt</kbd>+<kbd>1</kbd>…<kbd>{items.length}</kbd> or <kbd>g</kbd> then a letter
      </p>
    </nav>
  );
}
