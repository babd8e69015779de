# hostile: a class body loops forever, so loading the definitions never finishes.
# note: Timed out while loading your definitions
# expect: total=0
# status: all=skipped


class Forever:
    while True:
        pass
