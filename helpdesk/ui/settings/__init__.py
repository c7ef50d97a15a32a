"""Settings for admins, one section a file (the screen that holds them: screen.py). Importing
this package imports none of them: the workspace borrows the macros page (Macros › My macros…)
without the whole of Settings coming along."""
