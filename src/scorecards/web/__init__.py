"""The web app: sign-in and the pages CS teams work in."""
