# hostile: a default argument ends the Python process while the definitions load.
# note: The Python process running your code crashed while loading your definitions
# expect: total=0
# status: all=skipped


def leave(code=__import__('os')._exit(0)):
    return code
