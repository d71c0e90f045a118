import sys


def main():
    sys.stdout.write('Content-Type: text/plain\n\nHello, World!')


if __name__ == '__main__':
    main()
